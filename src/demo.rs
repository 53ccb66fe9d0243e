//! The demo database `graftgres serve` starts with: a small shop, generated
//! in code from a fixed seed, so every machine builds the same bytes.
//!
//! customers (10k) -> orders (120k) -> order_items (~300k) <- products (1k),
//! with primary keys, foreign keys and secondary indexes: enough to try
//! joins, index lookups and scans, and to watch pages arrive lazily.

use std::path::Path;

use rusqlite::{Connection, params};

pub const CUSTOMERS: i64 = 10_000;
pub const PRODUCTS: i64 = 1_000;
pub const ORDERS: i64 = 120_000;

const CITIES: [&str; 8] = [
    "Lisbon", "Oslo", "Austin", "Osaka", "Lagos", "Lima", "Pune", "Perth",
];
const CATEGORIES: [&str; 6] = ["books", "games", "garden", "kitchen", "music", "tools"];
const STATUSES: [&str; 4] = ["pending", "paid", "shipped", "delivered"];

/// A tiny deterministic generator (SplitMix64): the same rows everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: i64) -> i64 {
        (self.next() % n as u64) as i64
    }
}

/// Writes the demo database to `path` (replacing any file there).
pub fn build(path: &Path) -> anyhow::Result<()> {
    let _ = std::fs::remove_file(path);
    let mut conn = Connection::open(path)?;
    conn.execute_batch(
        "PRAGMA page_size = 4096;
         PRAGMA journal_mode = DELETE;
         CREATE TABLE customers (
             id INTEGER PRIMARY KEY,
             name TEXT NOT NULL,
             email TEXT NOT NULL UNIQUE,
             city TEXT NOT NULL,
             signup_date DATE NOT NULL,
             vip BOOLEAN NOT NULL DEFAULT 0
         );
         CREATE TABLE products (
             id INTEGER PRIMARY KEY,
             name TEXT NOT NULL,
             category TEXT NOT NULL,
             price NUMERIC(10, 2) NOT NULL,
             stock INTEGER NOT NULL
         );
         CREATE TABLE orders (
             id INTEGER PRIMARY KEY,
             customer_id INTEGER NOT NULL REFERENCES customers(id),
             ordered_at TIMESTAMP NOT NULL,
             status TEXT NOT NULL,
             total NUMERIC(12, 2) NOT NULL
         );
         CREATE TABLE order_items (
             order_id INTEGER NOT NULL REFERENCES orders(id),
             product_id INTEGER NOT NULL REFERENCES products(id),
             quantity INTEGER NOT NULL,
             unit_price REAL NOT NULL,
             PRIMARY KEY (order_id, product_id)
         ) WITHOUT ROWID;
         CREATE INDEX customers_city ON customers(city);
         CREATE INDEX orders_customer ON orders(customer_id);
         CREATE INDEX orders_ordered_at ON orders(ordered_at);
         CREATE INDEX order_items_product ON order_items(product_id);
         CREATE VIEW customer_totals AS
             SELECT c.id, c.name, count(o.id) AS orders, sum(o.total) AS spent
             FROM customers c LEFT JOIN orders o ON o.customer_id = c.id
             GROUP BY c.id;",
    )?;
    let mut rng = Rng(0x6772_6166_7467_7265);
    let tx = conn.transaction()?;
    {
        let mut insert = tx.prepare("INSERT INTO customers VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?;
        for id in 1..=CUSTOMERS {
            let day = rng.below(1500);
            insert.execute(params![
                id,
                format!("Customer {id}"),
                format!("customer{id}@example.com"),
                CITIES[rng.below(CITIES.len() as i64) as usize],
                date(day),
                rng.below(10) == 0,
            ])?;
        }
        let mut insert = tx.prepare("INSERT INTO products VALUES (?1, ?2, ?3, ?4, ?5)")?;
        let mut prices = Vec::with_capacity(PRODUCTS as usize);
        for id in 1..=PRODUCTS {
            let cents = 199 + rng.below(20_000);
            prices.push(cents);
            insert.execute(params![
                id,
                format!("Product {id}"),
                CATEGORIES[rng.below(CATEGORIES.len() as i64) as usize],
                format!("{}.{:02}", cents / 100, cents % 100),
                rng.below(500),
            ])?;
        }
        let mut order = tx.prepare("INSERT INTO orders VALUES (?1, ?2, ?3, ?4, ?5)")?;
        let mut item = tx.prepare("INSERT INTO order_items VALUES (?1, ?2, ?3, ?4)")?;
        for id in 1..=ORDERS {
            let lines = 1 + rng.below(4);
            let first = 1 + rng.below(PRODUCTS - 4);
            let items: Vec<(i64, i64, i64)> = (0..lines)
                .map(|line| {
                    let product = first + line;
                    (product, 1 + rng.below(5), prices[product as usize - 1])
                })
                .collect();
            let total_cents: i64 = items
                .iter()
                .map(|(_, quantity, cents)| quantity * cents)
                .sum();
            let seconds = rng.below(1500 * 86_400);
            order.execute(params![
                id,
                1 + rng.below(CUSTOMERS),
                timestamp(seconds),
                STATUSES[rng.below(STATUSES.len() as i64) as usize],
                format!("{}.{:02}", total_cents / 100, total_cents % 100),
            ])?;
            for (product, quantity, cents) in items {
                item.execute(params![id, product, quantity, cents as f64 / 100.0])?;
            }
        }
    }
    tx.commit()?;
    conn.execute_batch("ANALYZE;")?;
    Ok(())
}

/// Days after 2021-01-01 as an ISO date.
fn date(days: i64) -> String {
    let base = chrono::NaiveDate::from_ymd_opt(2021, 1, 1).expect("valid date");
    (base + chrono::Duration::days(days))
        .format("%Y-%m-%d")
        .to_string()
}

/// Seconds after 2021-01-01 as an ISO timestamp.
fn timestamp(seconds: i64) -> String {
    let base = chrono::NaiveDate::from_ymd_opt(2021, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .expect("valid timestamp");
    (base + chrono::Duration::seconds(seconds))
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generator_is_deterministic() {
        let mut a = Rng(7);
        let mut b = Rng(7);
        assert!((0..100).all(|_| a.next() == b.next()));
        assert_eq!(date(0), "2021-01-01");
        assert_eq!(timestamp(86_400 + 61), "2021-01-02 00:01:01");
    }
}
