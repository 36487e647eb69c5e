package dev.conveyor.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One daemon started as a real process through {@code deploy/bin/run-local <daemon>} (which execs
 * {@code java -jar}, so this process is the JVM): its own HTTP port, its output in a log file,
 * stopped with SIGTERM or killed with SIGKILL.
 */
final class DaemonProcess {
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private final String daemon;
  private final String name;
  private final Map<String, String> env;
  private final Path log;
  private final int port;
  private Process process;

  DaemonProcess(String daemon, Map<String, String> env, Path logDir) {
    this(daemon, daemon, env, logDir);
  }

  /**
   * A replica: {@code name} (e.g. {@code processor-2}) names its log file and is what {@link
   * #name()} returns; {@code daemon} is what it runs.
   */
  DaemonProcess(String daemon, String name, Map<String, String> env, Path logDir) {
    this.daemon = daemon;
    this.name = name;
    this.port = Ports.free();
    this.env = new HashMap<>(env);
    this.env.put("CONVEYOR_HTTP_PORT", Integer.toString(port));
    this.log = logDir.resolve(name + ".log");
    try {
      // why: restarts within one test append to the log; a new test starts a new one
      Files.deleteIfExists(log);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Starts (or restarts, as compose's restart: always would) the daemon; output is appended. */
  DaemonProcess start() {
    ProcessBuilder pb =
        new ProcessBuilder(Repo.root().resolve("deploy/bin/run-local").toString(), daemon)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    pb.environment().putAll(env);
    try {
      Files.createDirectories(log.getParent());
      process = pb.start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return this;
  }

  /** Whether {@code GET /health} answers 200. */
  boolean healthy() {
    try {
      HttpResponse<String> r =
          HTTP.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health"))
                  .timeout(Duration.ofSeconds(2))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Its HTTP port (on 127.0.0.1). */
  int port() {
    return port;
  }

  /** The environment it starts with; changes apply to its next start. */
  Map<String, String> env() {
    return env;
  }

  /** The body of {@code GET /health}, or what went wrong asking for it. */
  String health() {
    try {
      return get("/health");
    } catch (IOException e) {
      return "no answer: " + e;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted";
    }
  }

  /** {@code GET path} on the daemon's HTTP port. */
  String get(String path) throws IOException, InterruptedException {
    return HTTP.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(5))
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  /** The sum of a counter's series in the daemon's {@code /metrics}. */
  double counter(String metric) throws IOException, InterruptedException {
    return get("/metrics")
        .lines()
        .filter(l -> l.startsWith(metric + "{") || l.startsWith(metric + " "))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .sum();
  }

  boolean alive() {
    return process != null && process.isAlive();
  }

  /** The exit code of the last run, if it ended. */
  java.util.OptionalInt exitCode() {
    return process == null || process.isAlive()
        ? java.util.OptionalInt.empty()
        : java.util.OptionalInt.of(process.exitValue());
  }

  long pid() {
    return process.pid();
  }

  /** SIGTERM, then waits for the exit; returns the exit code. */
  int stop(Duration timeout) throws InterruptedException {
    process.destroy();
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError(name + " did not exit within " + timeout + " of SIGTERM");
    }
    return process.exitValue();
  }

  /** SIGKILL: no shutdown hook, nothing flushed, as an OOM kill or a power cut. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }

  List<String> logLines() throws IOException {
    return Files.exists(log) ? Files.readAllLines(log) : List.of();
  }

  String name() {
    return name;
  }

  /** Kills the daemon if it still runs (after a failed test). */
  void killIfAlive() throws InterruptedException {
    if (alive()) {
      kill();
    }
  }
}
