// JDBC catalog checks for graftgres (driven by tests/catalog_jdbc.rs).
//
// Usage: java -cp postgresql.jar:. CatalogMeta URL USER
// Connects with prepareThreshold 0, 1 and 5, runs every DatabaseMetaData
// call seven times (so the driver switches to server-prepared, binary
// statements after the threshold) and prints each distinct result once, in a
// stable text form the Rust test compares with real PostgreSQL's.
import java.sql.*;
import java.util.*;

public class CatalogMeta {
    interface Call { ResultSet run(DatabaseMetaData md) throws SQLException; }

    static String dump(ResultSet rs, String... columns) throws SQLException {
        StringBuilder out = new StringBuilder();
        List<String> rows = new ArrayList<>();
        while (rs.next()) {
            StringBuilder row = new StringBuilder();
            for (String c : columns) {
                if (row.length() > 0) row.append('|');
                // NON_UNIQUE is a boolean; clients read it with getBoolean.
                row.append(c.equals("NON_UNIQUE") ? String.valueOf(rs.getBoolean(c)) : rs.getString(c));
            }
            rows.add(row.toString());
        }
        rs.close();
        for (String r : rows) out.append(r).append('\n');
        return out.toString();
    }

    /** `name:type_name:sql_type` of every column. */
    static String columnTypes(ResultSetMetaData md) throws SQLException {
        StringBuilder types = new StringBuilder();
        for (int c = 1; c <= md.getColumnCount(); c++) {
            if (c > 1) types.append(' ');
            types.append(md.getColumnName(c)).append(':').append(md.getColumnTypeName(c))
                 .append(':').append(md.getColumnType(c));
        }
        return types.toString();
    }

    static void check(Connection conn, String name, Call call, String... columns) throws SQLException {
        String first = null;
        for (int i = 0; i < 7; i++) {
            String now = dump(call.run(conn.getMetaData()), columns);
            if (first == null) first = now;
            else if (!first.equals(now)) {
                throw new SQLException(name + ": run " + i + " differs:\n" + first + "---\n" + now);
            }
        }
        System.out.print("## " + name + "\n" + first);
    }

    public static void main(String[] args) throws Exception {
        String url = args[0];
        String user = args[1];
        String only = args.length > 2 ? args[2] : "";
        for (int threshold : new int[] {0, 1, 5}) {
            Properties props = new Properties();
            props.setProperty("user", user);
            props.setProperty("prepareThreshold", Integer.toString(threshold));
            try (Connection conn = DriverManager.getConnection(url, props)) {
                System.out.println("# prepareThreshold=" + threshold);
                if (only.isEmpty() || only.equals("meta")) meta(conn);
                if (only.isEmpty() || only.equals("fetch")) fetch(conn);
            }
        }
    }

    static void meta(Connection conn) throws SQLException {
        check(conn, "getCatalogs", md -> md.getCatalogs(), "TABLE_CAT");
        check(conn, "getSchemas", md -> md.getSchemas(), "TABLE_SCHEM");
        check(conn, "getTables", md -> md.getTables(null, "public", "%", new String[] {"TABLE", "VIEW"}),
              "TABLE_SCHEM", "TABLE_NAME", "TABLE_TYPE");
        check(conn, "getColumns", md -> md.getColumns(null, "public", "%", "%"),
              "TABLE_NAME", "COLUMN_NAME", "DATA_TYPE", "TYPE_NAME", "COLUMN_SIZE", "DECIMAL_DIGITS",
              "NULLABLE", "COLUMN_DEF", "ORDINAL_POSITION", "IS_NULLABLE", "IS_AUTOINCREMENT");
        check(conn, "getPrimaryKeys", md -> md.getPrimaryKeys(null, "public", "tags"),
              "TABLE_NAME", "COLUMN_NAME", "KEY_SEQ", "PK_NAME");
        check(conn, "getImportedKeys", md -> md.getImportedKeys(null, "public", "books"),
              "PKTABLE_NAME", "PKCOLUMN_NAME", "FKTABLE_NAME", "FKCOLUMN_NAME", "KEY_SEQ",
              "UPDATE_RULE", "DELETE_RULE", "FK_NAME", "PK_NAME");
        check(conn, "getExportedKeys", md -> md.getExportedKeys(null, "public", "authors"),
              "PKTABLE_NAME", "PKCOLUMN_NAME", "FKTABLE_NAME", "FKCOLUMN_NAME", "FK_NAME");
        check(conn, "getIndexInfo", md -> md.getIndexInfo(null, "public", "books", false, false),
              "TABLE_NAME", "NON_UNIQUE", "INDEX_NAME", "TYPE", "ORDINAL_POSITION", "COLUMN_NAME",
              "ASC_OR_DESC");
        check(conn, "getTypeInfo", md -> md.getTypeInfo(), "TYPE_NAME", "DATA_TYPE");
        // ResultSetMetaData of a user query, after the threshold too.
        for (int i = 0; i < 7; i++) {
            try (PreparedStatement ps = conn.prepareStatement(
                     "SELECT id, title, price, rating, published, added, copies FROM books WHERE id = ?")) {
                ps.setLong(1, 1);
                try (ResultSet rs = ps.executeQuery()) {
                    String types = columnTypes(rs.getMetaData());
                    if (!rs.next()) throw new SQLException("no row");
                    String row = rs.getLong(1) + "|" + rs.getString(2) + "|"
                        // SQLite keeps NUMERIC values as numbers, not with their
                        // declared scale: 9.5, where Postgres sends 9.50.
                        + rs.getBigDecimal(3).stripTrailingZeros().toPlainString() + "|"
                        + rs.getDouble(4) + "|" + rs.getDate(5) + "|" + rs.getTimestamp(6) + "|" + rs.getLong(7);
                    if (i == 6) System.out.print("## ResultSetMetaData\n" + types + "\n" + row + "\n");
                }
            }
        }
        // Arrays (array_agg): their types, and getArray, after the threshold too.
        for (int i = 0; i < 7; i++) {
            try (PreparedStatement ps = conn.prepareStatement(
                     "SELECT array_agg(id ORDER BY id) AS ids, array_agg(title ORDER BY id) AS titles, "
                     + "array_agg(id > ? ORDER BY id) AS later FROM books")) {
                ps.setLong(1, 0);
                try (ResultSet rs = ps.executeQuery()) {
                    StringBuilder out = new StringBuilder(columnTypes(rs.getMetaData())).append(' ');
                    if (!rs.next()) throw new SQLException("no row");
                    for (int c = 1; c <= rs.getMetaData().getColumnCount(); c++) {
                        out.append(Arrays.toString((Object[]) rs.getArray(c).getArray())).append(' ');
                    }
                    if (i == 6) System.out.print("## ResultSetArray\n" + out.toString().trim() + "\n");
                }
            }
        }
    }

    // setFetchSize streaming (needs Execute with max_rows / PortalSuspended).
    static void fetch(Connection conn) throws SQLException {
        conn.setAutoCommit(false);
        try (Statement st = conn.createStatement()) {
            st.setFetchSize(100);
            long count = 0, sum = 0;
            try (ResultSet rs = st.executeQuery("SELECT n FROM big ORDER BY n")) {
                while (rs.next()) { count++; sum += rs.getLong(1); }
            }
            System.out.println("## fetch\n" + count + " " + sum);
        }
        conn.commit();
        // Streamed, not read whole: row 5000 fails, and the rows before it
        // arrive first (a server that ignored the fetch size would fail
        // executeQuery itself). No ORDER BY: a sort would read every row first.
        try (Statement st = conn.createStatement()) {
            st.setFetchSize(100);
            long seen = 0;
            String outcome;
            try (ResultSet rs = st.executeQuery(
                     "SELECT CASE WHEN n = 5000 THEN CAST('x' || n AS integer) ELSE n END FROM big")) {
                while (rs.next()) seen++;
                outcome = "no error after " + seen + " rows";
            } catch (SQLException e) {
                outcome = (seen >= 100 ? "failed after the first fetch: " : "failed after " + seen + " rows: ")
                    + e.getSQLState();
            }
            System.out.println("## stream\n" + outcome);
        }
        conn.rollback();
        conn.setAutoCommit(true);
    }
}
