package dev.conveyor.e2e;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import redis.clients.jedis.RedisClient;

/**
 * A Redis of a test's own, as a child process: AOF on with {@code appendfsync everysec} (as
 * docker-compose.yml runs it), no RDB snapshots, no automatic AOF rewrite (so its files only grow
 * while the test runs). It can be killed with SIGKILL and started again on the same port and
 * directory, and its AOF can be set back to what the disk held a moment earlier: what a power cut
 * leaves of an {@code everysec} AOF.
 */
final class RedisServer implements AutoCloseable {
  private final Path dir;
  private final Path log;
  private final int port;
  private Process process;
  private Path snapshot;

  RedisServer(Path dir, Path log) {
    this.dir = dir;
    this.log = log;
    this.port = Ports.free();
  }

  int port() {
    return port;
  }

  String url() {
    return "redis://127.0.0.1:" + port;
  }

  RedisServer start() {
    return start(List.of());
  }

  /** Starts it as a replica of the Redis at {@code host:port}. */
  RedisServer startReplicaOf(String host, int masterPort) {
    return start(List.of("--replicaof", host, Integer.toString(masterPort)));
  }

  private RedisServer start(List<String> extra) {
    List<String> command =
        new java.util.ArrayList<>(
            List.of(
                "redis-server",
                "--port",
                Integer.toString(port),
                "--bind",
                "127.0.0.1",
                "--appendonly",
                "yes",
                "--appendfsync",
                "everysec",
                "--auto-aof-rewrite-percentage",
                "0",
                "--save",
                "",
                "--dir",
                dir.toString()));
    command.addAll(extra);
    ProcessBuilder pb =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    try {
      Files.createDirectories(dir);
      Files.createDirectories(log.getParent());
      process = pb.start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start redis-server (is it installed?)", e);
    }
    await("redis-server on port " + port + " answers (log: " + log + ")")
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(100))
        .ignoreExceptions()
        .failFast("redis-server exited", () -> !process.isAlive())
        .until(this::answers);
    return this;
  }

  private boolean answers() {
    try (RedisClient j = client()) {
      return "PONG".equals(j.ping());
    }
  }

  RedisClient client() {
    return RedisClient.builder().hostAndPort("127.0.0.1", port).build();
  }

  /**
   * Copies the AOF as it stands now — what an OS crash would leave on disk a second later, when the
   * writes since were not fsynced yet.
   */
  void snapshotAof() throws IOException {
    snapshot = Files.createTempDirectory(dir.getParent(), "aof-snapshot");
    Path aof = dir.resolve("appendonlydir");
    try (Stream<Path> files = Files.list(aof)) {
      // why: the manifest and base first, the growing incr file last: a prefix of the writes
      for (Path f :
          files
              .sorted(Comparator.comparing(p -> p.toString().contains(".incr.") ? 1 : 0))
              .toList()) {
        Files.copy(f, snapshot.resolve(f.getFileName()));
      }
    }
  }

  /** Bytes in the AOF's files now. */
  long aofBytes() throws IOException {
    long n = 0;
    for (Path f : list(dir.resolve("appendonlydir"))) {
      n += Files.size(f);
    }
    return n;
  }

  /** SIGKILL: nothing flushed; the AOF holds what was written to it. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }

  /** Puts back the AOF copied by {@link #snapshotAof()} (the server must be down). */
  void restoreAof() throws IOException {
    Path aof = dir.resolve("appendonlydir");
    for (Path f : list(aof)) {
      Files.delete(f);
    }
    for (Path f : list(snapshot)) {
      Files.move(f, aof.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
    }
    Files.delete(snapshot);
  }

  @Override
  public void close() {
    if (process != null && process.isAlive()) {
      process.destroyForcibly();
    }
  }

  private static List<Path> list(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.toList();
    }
  }
}
