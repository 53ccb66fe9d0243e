// pgjdbc against graftgres with TLS and a password (driven by tests/e2e_auth.rs).
//
// Usage: java -cp postgresql.jar:. TlsAuth URL USER PASSWORD
// Connects, runs SELECT count(*) FROM t and prints "connected N", or prints
// "error SQLSTATE MESSAGE" when the connection is refused.
import java.sql.*;
import java.util.Properties;

public class TlsAuth {
    public static void main(String[] args) {
        Properties props = new Properties();
        props.setProperty("user", args[1]);
        props.setProperty("password", args[2]);
        try (Connection conn = DriverManager.getConnection(args[0], props);
             Statement st = conn.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM t")) {
            rs.next();
            System.out.println("connected " + rs.getLong(1));
        } catch (SQLException e) {
            System.out.println("error " + e.getSQLState() + " " + e.getMessage());
        }
    }
}
