package dev.conveyor.e2e;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A PostgreSQL cluster of a test's own ({@code initdb} into a temporary directory, trust
 * authentication, user {@code postgres}), so that a test may crash and restart it without
 * disturbing the shared server other tests use. Needs PostgreSQL's server binaries (found under
 * {@code /usr/lib/postgresql/<version>/bin} or on the PATH); run as root it runs them as the {@code
 * postgres} user, as initdb refuses root.
 */
final class PostgresServer implements AutoCloseable {
  private final Path dir;
  private final Path log;
  private final int port;
  private final Path bin;

  PostgresServer(Path dir, Path log) {
    this.dir = dir;
    this.log = log;
    this.port = Ports.free();
    this.bin = binaries();
  }

  String jdbcUrl(String database) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
  }

  /** initdb, start, and a database {@code conveyor}. */
  PostgresServer start() throws IOException, InterruptedException {
    Files.createDirectories(dir);
    Files.createDirectories(log.getParent());
    if (asRoot()) {
      UserPrincipalLookupService users = dir.getFileSystem().getUserPrincipalLookupService();
      Files.setOwner(dir, users.lookupPrincipalByName("postgres"));
      // why: the postgres user must be able to reach the directory and write the log
      for (Path p = dir.getParent(); p != null && !p.equals(Path.of("/")); p = p.getParent()) {
        if (p.toString().startsWith("/tmp/")) {
          p.toFile().setExecutable(true, false);
        }
      }
      Files.writeString(log, "");
      Files.setOwner(log, users.lookupPrincipalByName("postgres"));
    }
    run("initdb", "-D", dir.toString(), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync");
    pgCtlStart();
    await("the database conveyor is created")
        .atMost(Duration.ofSeconds(30))
        .ignoreExceptions()
        .until(() -> {
          try (Connection c = DriverManager.getConnection(jdbcUrl("postgres"), "postgres", "")) {
            c.createStatement().execute("CREATE DATABASE conveyor");
            return true;
          }
        });
    return this;
  }

  /**
   * A crash and a restart: {@code pg_ctl stop -m immediate} (every server process quits at once, no
   * checkpoint; the next start replays the WAL), then start again on the same port.
   */
  void crashAndRestart() throws IOException, InterruptedException {
    run("pg_ctl", "-D", dir.toString(), "stop", "-m", "immediate", "-w");
    pgCtlStart();
  }

  /** A clean stop ({@code pg_ctl stop -m fast}: sessions are ended, a checkpoint is written). */
  void stop() throws IOException, InterruptedException {
    run("pg_ctl", "-D", dir.toString(), "stop", "-m", "fast", "-w");
  }

  /** Starts it again after {@link #stop()}, on the same port. */
  void startAgain() throws IOException, InterruptedException {
    pgCtlStart();
  }

  int port() {
    return port;
  }

  Connection connect() throws SQLException {
    return DriverManager.getConnection(jdbcUrl("conveyor"), "postgres", "");
  }

  @Override
  public void close() throws IOException {
    if (Files.exists(dir.resolve("postmaster.pid"))) {
      try {
        run("pg_ctl", "-D", dir.toString(), "stop", "-m", "immediate", "-w");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void pgCtlStart() throws IOException, InterruptedException {
    run(
        "pg_ctl",
        "-D",
        dir.toString(),
        "-l",
        log.toString(),
        "-w",
        "-t",
        "60",
        "-o",
        "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1 -c max_connections=200",
        "start");
  }

  private void run(String program, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    if (asRoot()) {
      command.addAll(List.of("runuser", "-u", "postgres", "--"));
    }
    command.add(bin.resolve(program).toString());
    command.addAll(List.of(args));
    Process p =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(
                ProcessBuilder.Redirect.appendTo(log.resolveSibling("pg_ctl.log").toFile()))
            .start();
    if (!p.waitFor(90, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IllegalStateException(
          String.join(" ", command) + " failed: see " + log.resolveSibling("pg_ctl.log"));
    }
  }

  private static boolean asRoot() {
    return "root".equals(System.getProperty("user.name"));
  }

  private static Path binaries() {
    Path versions = Path.of("/usr/lib/postgresql");
    if (Files.isDirectory(versions)) {
      try (Stream<Path> dirs = Files.list(versions)) {
        var found =
            dirs.map(d -> d.resolve("bin"))
                .filter(b -> Files.isExecutable(b.resolve("initdb")))
                .max(Path::compareTo);
        if (found.isPresent()) {
          return found.get();
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    for (String p : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (!p.isEmpty() && Files.isExecutable(Path.of(p, "initdb"))) {
        return Path.of(p);
      }
    }
    throw new IllegalStateException(
        "PostgreSQL's server binaries (initdb, pg_ctl) are needed: install postgresql");
  }
}
