//! The differential dataset: the same rows as Postgres DDL + INSERTs and as a
//! SQLite file. Deterministic (no randomness), small enough to print.
//!
//! It exercises what translation must get right: NULLs everywhere, text in
//! mixed case and outside ASCII, 64-bit integers, numerics, floats, booleans
//! (SQLite stores 0/1), dates and timestamps (ISO text in SQLite), JSON text
//! and blobs.

use std::fmt::Write;

/// One cell, rendered per dialect.
#[derive(Clone)]
pub enum Cell {
    Null,
    Int(i64),
    /// A decimal literal, as written (numeric and float columns).
    Num(String),
    Text(String),
    Bool(bool),
    Blob(Vec<u8>),
}

impl Cell {
    fn pg(&self) -> String {
        match self {
            Cell::Null => "NULL".into(),
            Cell::Int(i) => i.to_string(),
            Cell::Num(n) => n.clone(),
            Cell::Text(t) => quote(t),
            Cell::Bool(b) => b.to_string(),
            Cell::Blob(b) => format!("'\\x{}'::bytea", hex(b)),
        }
    }

    fn sqlite(&self) -> String {
        match self {
            Cell::Bool(b) => i64::from(*b).to_string(),
            Cell::Blob(b) => format!("x'{}'", hex(b)),
            other => other.pg(),
        }
    }
}

fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A table: name, columns as (name, Postgres type, SQLite declared type), rows.
pub struct Table {
    pub name: &'static str,
    pub columns: Vec<(&'static str, &'static str, &'static str)>,
    pub rows: Vec<Vec<Cell>>,
}

/// Every table of the dataset.
pub fn tables() -> Vec<Table> {
    vec![depts(), people(), orders()]
}

fn depts() -> Table {
    use Cell::*;
    let rows = [
        (1, "Engineering", "150000", Null),
        (2, "Sales", "90000.5", Null),
        (3, "Backend", "60000", Int(1)),
        (4, "Frontend", "45000.25", Int(1)),
        (5, "Support", "0", Int(2)),
        (6, "databases", "30000", Int(3)),
    ];
    Table {
        name: "depts",
        columns: vec![
            ("id", "bigint PRIMARY KEY", "INTEGER PRIMARY KEY"),
            ("name", "text", "TEXT"),
            ("budget", "numeric(12,2)", "NUMERIC(12,2)"),
            ("parent_id", "bigint", "INTEGER"),
        ],
        rows: rows
            .into_iter()
            .map(|(id, name, budget, parent)| {
                vec![Int(id), Text(name.into()), Num(budget.to_string()), parent]
            })
            .collect(),
    }
}

const NAMES: [&str; 12] = [
    "alice", "Bob", "Émile", "zoë", "ÅSA", "李雷", "o'brien", "Carol", "dave", "EVE", "Ünal", "bob",
];
const CITIES: [&str; 5] = ["Berlin", "paris", "São Paulo", "berlin", "Zürich"];

fn people() -> Table {
    use Cell::*;
    let mut rows = Vec::new();
    for id in 1..=40i64 {
        let name = NAMES[(id as usize * 7) % NAMES.len()];
        let name = if id % 13 == 0 {
            Null
        } else if id == 20 {
            Text("  padded name  ".into())
        } else {
            Text(format!(
                "{name}{}",
                if id > 12 {
                    id.to_string()
                } else {
                    String::new()
                }
            ))
        };
        let email = if id % 6 == 0 {
            Null
        } else {
            Text(format!(
                "user{id}@{}.example.com",
                ["mail", "corp", "Test"][id as usize % 3]
            ))
        };
        let city = if id % 9 == 0 {
            Null
        } else {
            Text(CITIES[id as usize % CITIES.len()].into())
        };
        let age = if id % 7 == 0 {
            Null
        } else {
            Int(18 + (id * 17) % 60)
        };
        // Floats with exact binary fractions and a few awkward ones.
        let score = match id % 10 {
            0 => Null,
            1 => Num("0.1".into()),
            2 => Num("-3.75".into()),
            3 => Num("1234567.125".into()),
            _ => Num(format!(
                "{}.{}",
                (id * 37) % 100,
                [5, 25, 75, 0][id as usize % 4]
            )),
        };
        let balance = if id % 11 == 0 {
            Null
        } else {
            Num(format!(
                "{}.{:02}",
                (id * 1237) % 5000 - 1000,
                (id * 7) % 100
            ))
        };
        let active = if id % 8 == 0 { Null } else { Bool(id % 3 != 0) };
        let born = if id % 10 == 5 {
            Null
        } else {
            Text(format!(
                "{}-{:02}-{:02}",
                1950 + (id * 3) % 55,
                1 + id % 12,
                1 + (id * 5) % 28
            ))
        };
        let joined = if id % 12 == 7 {
            Null
        } else {
            Text(format!(
                "{}-{:02}-{:02} {:02}:{:02}:{:02}",
                2019 + id % 6,
                1 + (id * 5) % 12,
                1 + (id * 3) % 28,
                (id * 7) % 24,
                (id * 13) % 60,
                (id * 29) % 60
            ))
        };
        let prefs = if id % 5 == 0 {
            Null
        } else {
            Text(format!(
                r#"{{"theme": "{}", "level": {}, "tags": ["t{}", "x"], "nested": {{"k": {}}}}}"#,
                ["dark", "light", "Dark"][id as usize % 3],
                id % 4,
                id % 3,
                id * 2
            ))
        };
        let avatar = if id % 4 == 0 {
            Null
        } else {
            Blob(vec![id as u8, 0, 255, (id * 3) as u8])
        };
        let dept = if id % 15 == 0 { Null } else { Int(1 + id % 6) };
        rows.push(vec![
            Int(id),
            name,
            email,
            city,
            age,
            score,
            balance,
            active,
            born,
            joined,
            prefs,
            avatar,
            dept,
        ]);
    }
    Table {
        name: "people",
        columns: vec![
            ("id", "bigint PRIMARY KEY", "INTEGER PRIMARY KEY"),
            ("name", "text", "TEXT"),
            ("email", "text", "TEXT"),
            ("city", "text", "TEXT"),
            ("age", "bigint", "INTEGER"),
            ("score", "double precision", "REAL"),
            ("balance", "numeric(10,2)", "NUMERIC(10,2)"),
            ("active", "boolean", "BOOLEAN"),
            ("born", "date", "DATE"),
            ("joined", "timestamp", "TIMESTAMP"),
            ("prefs", "json", "JSON"),
            ("avatar", "bytea", "BLOB"),
            ("dept_id", "bigint", "INTEGER"),
        ],
        rows,
    }
}

fn orders() -> Table {
    use Cell::*;
    let statuses = ["new", "paid", "Shipped", "cancelled", "paid"];
    let mut rows = Vec::new();
    for id in 1..=120i64 {
        let person = if id % 17 == 0 {
            Null
        } else {
            Int(1 + (id * 7) % 45)
        };
        let amount = Num(format!("{}.{:02}", (id * 53) % 900 + 1, (id * 11) % 100));
        let qty = if id % 19 == 0 { Null } else { Int(1 + id % 9) };
        let at = format!(
            "2024-{:02}-{:02} {:02}:{:02}:00",
            1 + id % 12,
            1 + (id * 7) % 28,
            (id * 5) % 24,
            (id * 11) % 60
        );
        let status = Text(statuses[id as usize % statuses.len()].into());
        let note = match id % 6 {
            0 => Null,
            1 => Text("rush delivery".into()),
            2 => Text("Gift wrap, please".into()),
            3 => Text("".into()),
            4 => Text("call before 10am".into()),
            _ => Text("Leave at door – no bell".into()),
        };
        rows.push(vec![Int(id), person, amount, qty, Text(at), status, note]);
    }
    Table {
        name: "orders",
        columns: vec![
            ("id", "bigint PRIMARY KEY", "INTEGER PRIMARY KEY"),
            ("person_id", "bigint", "INTEGER"),
            ("amount", "numeric(10,2)", "NUMERIC(10,2)"),
            ("qty", "bigint", "INTEGER"),
            ("ordered_at", "timestamp", "TIMESTAMP"),
            ("status", "text", "TEXT"),
            ("note", "text", "TEXT"),
        ],
        rows,
    }
}

/// The dataset as a Postgres script.
pub fn postgres_script() -> String {
    script(
        |t: &(&'static str, &'static str, &'static str)| t.1,
        Cell::pg,
    )
}

/// The dataset as a SQLite script.
pub fn sqlite_script() -> String {
    script(
        |t: &(&'static str, &'static str, &'static str)| t.2,
        Cell::sqlite,
    )
}

fn script(
    ty: impl Fn(&(&'static str, &'static str, &'static str)) -> &'static str,
    render: impl Fn(&Cell) -> String,
) -> String {
    let mut sql = String::new();
    for table in tables() {
        let columns: Vec<String> = table
            .columns
            .iter()
            .map(|c| format!("{} {}", c.0, ty(c)))
            .collect();
        writeln!(sql, "CREATE TABLE {} ({});", table.name, columns.join(", ")).unwrap();
        for row in &table.rows {
            let values: Vec<String> = row.iter().map(&render).collect();
            writeln!(
                sql,
                "INSERT INTO {} VALUES ({});",
                table.name,
                values.join(", ")
            )
            .unwrap();
        }
    }
    sql
}
