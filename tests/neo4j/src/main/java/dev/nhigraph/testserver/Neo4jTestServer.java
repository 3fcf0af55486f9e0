package dev.nhigraph.testserver;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;

import org.neo4j.configuration.GraphDatabaseInternalSettings;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.BoltConnectorInternalSettings;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.connectors.HttpsConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.io.ByteUnit;

/**
 * Runs a real, embedded Neo4j 5.26 Community DBMS for the nhigraph test suite.
 *
 * <p>Bolt only (127.0.0.1:&lt;port&gt;, unencrypted), HTTP/HTTPS off, authentication on, user
 * {@code neo4j} with the given password and no forced change. The data directory is wiped on
 * every start and also holds Neo4j's own logs. When the DBMS is ready, exactly one line
 * {@code NEO4J READY bolt://127.0.0.1:<port>} is printed on stdout. SIGTERM (or SIGINT) shuts
 * the DBMS down cleanly.
 *
 * <pre>
 * usage: Neo4jTestServer --data DIR [--port N] [--password PW] [--pagecache SIZE_MB]
 * env:   NHIGRAPH_NEO4J_PORT (default 7687), NHIGRAPH_NEO4J_PASSWORD (default nhigraph-test)
 * </pre>
 *
 * Started and stopped by {@code scripts/neo4j-server}.
 */
public final class Neo4jTestServer {
    static final String LISTEN_HOST = "127.0.0.1";
    static final String USER = "neo4j";
    static final int DEFAULT_PORT = 7687;
    static final String DEFAULT_PASSWORD = "nhigraph-test";
    static final long DEFAULT_PAGECACHE_MB = 512;
    /** Present in every directory this launcher owns; a non-empty directory without it is never wiped. */
    static final String MARKER = ".nhigraph-neo4j-test-data";

    private Neo4jTestServer() {}

    public static void main(String[] args) {
        // Anything Neo4j or a library prints goes to stderr; stdout carries only our status lines.
        PrintStream out = System.out;
        System.setOut(System.err);
        try {
            run(args, out);
        } catch (UsageException e) {
            System.err.println("neo4j-test-server: " + e.getMessage());
            System.exit(2);
        } catch (Throwable t) {
            System.err.println("NEO4J FAILED: " + t);
            t.printStackTrace(System.err);
            out.println("NEO4J FAILED: " + t);
            out.flush();
            System.exit(1);
        }
    }

    private static void run(String[] args, PrintStream out) throws Exception {
        Path dataDir = null;
        int port = parsePort(envOr("NHIGRAPH_NEO4J_PORT", Integer.toString(DEFAULT_PORT)));
        String password = envOr("NHIGRAPH_NEO4J_PASSWORD", DEFAULT_PASSWORD);
        long pagecacheMb = DEFAULT_PAGECACHE_MB;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--data" -> dataDir = Path.of(value(args, ++i, a));
                case "--port" -> port = parsePort(value(args, ++i, a));
                case "--password" -> password = value(args, ++i, a);
                case "--pagecache" -> pagecacheMb = Long.parseLong(value(args, ++i, a));
                case "-h", "--help" -> throw new UsageException(
                        "usage: Neo4jTestServer --data DIR [--port N] [--password PW] [--pagecache MB]");
                default -> throw new UsageException("unknown argument: " + a);
            }
        }
        if (dataDir == null) {
            throw new UsageException("--data DIR is required");
        }
        if (password.isEmpty()) {
            throw new UsageException("password must not be empty");
        }
        dataDir = dataDir.toAbsolutePath().normalize();
        wipe(dataDir);

        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(dataDir)
                .setConfig(Map.ofEntries(
                        // Bolt on loopback only, plain text; no HTTP(S).
                        Map.entry(BoltConnector.enabled, true),
                        Map.entry(BoltConnector.listen_address, new SocketAddress(LISTEN_HOST, port)),
                        Map.entry(BoltConnector.advertised_address, new SocketAddress(LISTEN_HOST, port)),
                        Map.entry(BoltConnector.encryption_level, BoltConnector.EncryptionLevel.DISABLED),
                        Map.entry(HttpConnector.enabled, false),
                        Map.entry(HttpsConnector.enabled, false),
                        // Real authentication; wrong-password tests must not lock the user out.
                        Map.entry(GraphDatabaseSettings.auth_enabled, true),
                        Map.entry(GraphDatabaseSettings.auth_max_failed_attempts, 0),
                        Map.entry(GraphDatabaseSettings.auth_minimum_password_length, 1),
                        // Small and fast: this is a throw-away test database.
                        Map.entry(GraphDatabaseSettings.pagecache_memory, ByteUnit.mebiBytes(pagecacheMb)),
                        Map.entry(GraphDatabaseSettings.pagecache_warmup_enabled, false),
                        Map.entry(GraphDatabaseSettings.keep_logical_logs, "1 files"),
                        Map.entry(GraphDatabaseSettings.logical_log_rotation_threshold, ByteUnit.mebiBytes(1)),
                        Map.entry(GraphDatabaseSettings.preallocate_logical_logs, false),
                        Map.entry(GraphDatabaseSettings.preallocate_store_files, false),
                        Map.entry(BoltConnector.thread_pool_max_size, 64),
                        // Quick SIGTERM: do not linger for idle Bolt connections (default 5 s each).
                        Map.entry(BoltConnectorInternalSettings.connection_shutdown_wait_time, Duration.ofMillis(500)),
                        Map.entry(BoltConnectorInternalSettings.thread_pool_shutdown_wait_time, Duration.ofMillis(500)),
                        // No usage data reporting.
                        Map.entry(GraphDatabaseSettings.udc_enabled, false),
                        Map.entry(GraphDatabaseInternalSettings.udc_network_enabled, false)))
                .build();

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                dbms.shutdown();
            } catch (Throwable t) {
                System.err.println("neo4j-test-server: error during shutdown: " + t);
            } finally {
                stopped.countDown();
            }
        }, "neo4j-test-server-shutdown"));

        // A fresh DBMS has user neo4j/neo4j with a forced password change. Embedded access to the
        // system database runs with full privileges, so the password can be set here directly.
        dbms.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME).executeTransactionally(
                "ALTER USER " + USER + " SET PASSWORD $password CHANGE NOT REQUIRED",
                Map.of("password", password));
        // Make sure the default database is really up before announcing readiness.
        dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME)
                .executeTransactionally("RETURN 1");

        out.println("NEO4J READY bolt://" + LISTEN_HOST + ":" + port);
        out.flush();

        stopped.await();
    }

    /** Empty {@code dir} (creating it if needed); refuse to touch a non-empty directory that is not ours. */
    static void wipe(Path dir) throws IOException {
        Path marker = dir.resolve(MARKER);
        if (Files.isDirectory(dir)) {
            boolean empty;
            try (Stream<Path> s = Files.list(dir)) {
                empty = s.findAny().isEmpty();
            }
            if (!empty && !Files.exists(marker)) {
                throw new UsageException("refusing to wipe " + dir + ": not empty and has no " + MARKER + " marker");
            }
            try (Stream<Path> s = Files.list(dir)) {
                for (Path p : (Iterable<Path>) s::iterator) {
                    deleteTree(p);
                }
            }
        } else {
            Files.createDirectories(dir);
        }
        Files.writeString(marker, "data directory of the nhigraph Neo4j test server; wiped on every start\n");
    }

    private static void deleteTree(Path root) throws IOException {
        if (Files.isSymbolicLink(root) || !Files.isDirectory(root)) {
            Files.delete(root);
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                if (e != null) {
                    throw e;
                }
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private static String envOr(String name, String dflt) {
        String v = System.getenv(name);
        return v == null || v.isEmpty() ? dflt : v;
    }

    private static String value(String[] args, int i, String flag) {
        if (i >= args.length) {
            throw new UsageException(flag + " needs a value");
        }
        return args[i];
    }

    private static int parsePort(String s) {
        try {
            int p = Integer.parseInt(s.trim());
            if (p < 1 || p > 65535) {
                throw new NumberFormatException();
            }
            return p;
        } catch (NumberFormatException e) {
            throw new UsageException("invalid port: " + s);
        }
    }

    private static final class UsageException extends RuntimeException {
        UsageException(String message) {
            super(message);
        }
    }
}
