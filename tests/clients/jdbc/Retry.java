/*
 * Retry.java - the retry logic a JDBC application needs across a failover
 * or a switch (guide 5.2/5.3): on a connection error, close, reconnect and
 * run the WHOLE transaction again, until a deadline; never commit twice.
 *
 *	java Retry HOST TAG STOPFILE [DEADLINE_S]
 *
 * Commits transaction 1, 2, ... (each inserts one row (TAG, n) into
 * clients_retry) until the file STOPFILE exists, then prints one JSON line:
 * {"driver":"jdbc","transactions":N,"retries":N,"codes":{...}}.
 * Exit 1 if a transaction could not commit before its deadline.
 *
 * Exactly once: each transaction first looks for its own row, so a retry
 * after a commit whose answer was lost does not insert it again.
 */
import java.io.File;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Map;
import java.util.TreeMap;

public class Retry {
	/*
	 * Worth another try (table 5.1): connection errors (class 08: 08001,
	 * 08006) and the server going away (57P01-57P03).
	 */
	static boolean retryable(SQLException e) {
		String st = e.getSQLState();
		return st == null || st.startsWith("08") || st.startsWith("57P0");
	}

	static void transaction(Connection c, String tag, int n)
	    throws SQLException {
		try (PreparedStatement find = c.prepareStatement("SELECT 1 FROM " +
		    "clients_retry WHERE driver = ? AND n = ?")) {
			find.setString(1, tag);
			find.setInt(2, n);
			try (ResultSet rs = find.executeQuery()) {
				if (!rs.next()) {
					try (PreparedStatement ins = c.prepareStatement(
					    "INSERT INTO clients_retry (driver, n) " +
					    "VALUES (?, ?)")) {
						ins.setString(1, tag);
						ins.setInt(2, n);
						ins.executeUpdate();
					}
				}
			}
		}
		c.commit();
	}

	public static void main(String[] a) throws Exception {
		if (a.length < 3) {
			System.err.println("usage: Retry HOST TAG STOPFILE [DEADLINE_S]");
			System.exit(2);
		}
		String url = "jdbc:postgresql://" + a[0] + ":5432/postgres" +
		    "?connectTimeout=2&ApplicationName=retry-jdbc";
		int deadlineS = a.length > 3 ? Integer.parseInt(a[3]) : 30;
		File stop = new File(a[2]);
		Map<String, Integer> codes = new TreeMap<>();
		Connection c = null;
		long retries = 0;
		int n;
		for (n = 1; !stop.exists(); n++) {
			long deadline = System.nanoTime() / 1000000 + deadlineS * 1000L;
			for (int pause = 50;; pause = Math.min(pause * 2, 1000)) {
				try {
					if (c == null) {
						c = DriverManager.getConnection(url,
						    "postgres", "");
						c.setAutoCommit(false);
					}
					transaction(c, a[1], n);
					break;
				} catch (SQLException e) {
					if (!retryable(e) || System.nanoTime() /
					    1000000 + pause > deadline) {
						System.err.println("retry: transaction " +
						    n + " gave up: " + e.getSQLState() +
						    " " + e.getMessage());
						System.exit(1);
					}
					codes.merge(String.valueOf(e.getSQLState()), 1,
					    Integer::sum);
					retries++;
					/* Drop the broken connection; a new one
					 * finds the new node. */
					if (c != null) {
						try {
							c.close();
						} catch (SQLException ignored) {
						}
						c = null;
					}
					Thread.sleep(pause);
				}
			}
			Thread.sleep(20);
		}
		if (c != null)
			c.close();
		StringBuilder b = new StringBuilder("{\"driver\":\"jdbc\"," +
		    "\"transactions\":" + (n - 1) + ",\"retries\":" + retries +
		    ",\"codes\":{");
		String sep = "";
		for (Map.Entry<String, Integer> en : codes.entrySet()) {
			b.append(sep + "\"" + en.getKey() + "\":" + en.getValue());
			sep = ",";
		}
		System.out.println(b.append("}}"));
	}
}
