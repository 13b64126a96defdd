/*
 * Probe.java - what the PostgreSQL JDBC driver returns in the situations
 * of the guide's table 5.1: SQLException.getSQLState().
 *
 *	java Probe inflight SITUATION HOST	autocommit off; INSERT; SELECT
 *						pg_sleep(60): how it ended
 *	java Probe connect SITUATION HOST	connect and SELECT 1 once
 *	java Probe loop SITUATION HOST STOP	connect, SELECT 1, close, again,
 *						until the file STOP exists
 *
 * One JSON line on stdout; "ready" / "ok" / "err CODE" on stderr.
 */
import java.io.File;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;

public class Probe {
	static final String DRIVER = "jdbc";

	static String q(String s) {
		if (s == null)
			return "null";
		StringBuilder b = new StringBuilder("\"");
		for (char c : s.toCharArray()) {
			if (c == '"' || c == '\\')
				b.append('\\').append(c);
			else if (c == '\n')
				b.append("\\n");
			else if (c < 0x20)
				b.append(String.format("\\u%04x", (int) c));
			else
				b.append(c);
		}
		return b.append('"').toString();
	}

	static String oneLine(String s) {
		return s == null ? null : s.replaceAll("[\\r\\n\\t]+", " ").trim();
	}

	static long ms() {
		return System.nanoTime() / 1000000;
	}

	static Connection connect(String host) throws SQLException {
		return DriverManager.getConnection("jdbc:postgresql://" + host +
		    ":5432/postgres?connectTimeout=2&ApplicationName=probe-" +
		    DRIVER, "postgres", "");
	}

	static void report(String situation, String failed, SQLException e,
	    long t0) {
		String chained = null;
		if (e != null && e.getNextException() != null)
			chained = e.getNextException().getSQLState();
		System.out.println("{\"driver\":\"" + DRIVER +
		    "\",\"situation\":" + q(situation) +
		    ",\"failed\":" + q(failed) +
		    ",\"sqlstate\":" + q(e == null ? null : e.getSQLState()) +
		    ",\"exception\":" + q(e == null ? null :
		    e.getClass().getName()) +
		    ",\"next_sqlstate\":" + q(chained) +
		    ",\"message\":" + q(e == null ? null :
		    oneLine(e.getMessage())) +
		    ",\"elapsed_ms\":" + (ms() - t0) + "}");
	}

	static void inflight(String situation, String host) throws Exception {
		Connection c = connect(host);
		c.setAutoCommit(false);
		try (PreparedStatement ps = c.prepareStatement("INSERT INTO " +
		    "clients_probe (driver, situation) VALUES (?, ?)")) {
			ps.setString(1, DRIVER);
			ps.setString(2, situation);
			ps.executeUpdate();
		}
		System.err.println("ready");
		long t0 = ms();
		try (Statement st = c.createStatement()) {
			st.executeQuery("SELECT pg_sleep(60)");
			report(situation, null, null, t0);
		} catch (SQLException e) {
			report(situation, "statement", e, t0);
		}
		try {
			c.close();
		} catch (SQLException e) {
		}
	}

	static void connectOnce(String situation, String host) {
		long t0 = ms();
		Connection c;
		try {
			c = connect(host);
		} catch (SQLException e) {
			report(situation, "connect", e, t0);
			return;
		}
		try (Statement st = c.createStatement()) {
			st.executeQuery("SELECT 1");
			report(situation, null, null, t0);
		} catch (SQLException e) {
			report(situation, "statement", e, t0);
		}
		try {
			c.close();
		} catch (SQLException e) {
		}
	}

	static void loop(String situation, String host, String stop) {
		Map<String, Integer> codes = new LinkedHashMap<>();
		Map<String, String> examples = new LinkedHashMap<>();
		int ok = 0, failures = 0, okAfter = 0;
		long t0 = ms();
		File stopFile = new File(stop);
		while (!stopFile.exists()) {
			try (Connection c = connect(host);
			    Statement st = c.createStatement()) {
				st.executeQuery("SELECT pg_sleep(0.02)");
				ok++;
				okAfter++;
				System.err.println("ok");
			} catch (SQLException e) {
				String code = e.getSQLState() == null ? "null" :
				    e.getSQLState();
				failures++;
				okAfter = 0;
				codes.merge(code, 1, Integer::sum);
				examples.putIfAbsent(code, oneLine(e.getMessage()));
				System.err.println("err " + code);
			}
		}
		StringBuilder b = new StringBuilder();
		b.append("{\"driver\":\"" + DRIVER + "\",\"situation\":" +
		    q(situation) + ",\"ok\":" + ok + ",\"failures\":" + failures +
		    ",\"ok_after_last_failure\":" + okAfter + ",\"codes\":{");
		String sep = "";
		for (Map.Entry<String, Integer> en : codes.entrySet()) {
			b.append(sep + q(en.getKey()) + ":" + en.getValue());
			sep = ",";
		}
		b.append("},\"examples\":{");
		sep = "";
		for (Map.Entry<String, String> en : examples.entrySet()) {
			b.append(sep + q(en.getKey()) + ":" + q(en.getValue()));
			sep = ",";
		}
		b.append("},\"elapsed_ms\":" + (ms() - t0) + "}");
		System.out.println(b);
	}

	public static void main(String[] a) throws Exception {
		if (a.length == 3 && a[0].equals("inflight"))
			inflight(a[1], a[2]);
		else if (a.length == 3 && a[0].equals("connect"))
			connectOnce(a[1], a[2]);
		else if (a.length == 4 && a[0].equals("loop"))
			loop(a[1], a[2], a[3]);
		else {
			System.err.println("usage: Probe inflight|connect " +
			    "SITUATION HOST | loop SITUATION HOST STOPFILE");
			System.exit(2);
		}
	}
}
