package dev.conveyor.common.test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import redis.clients.jedis.HostAndPort;

/**
 * The {@code redis-server} processes of a local test cluster, on free loopback ports (AOF on, node
 * timeout 2 s) in a temporary directory of their own: started, joined into a cluster with {@code
 * redis-cli --cluster create}, signalled, killed, stopped, and their files deleted.
 */
final class ClusterServers implements AutoCloseable {
  private final Path dir;
  private final Map<HostAndPort, Process> processes = new LinkedHashMap<>();

  ClusterServers() {
    try {
      dir = Files.createTempDirectory("conveyor-redis-cluster-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Starts {@code count} servers in cluster mode, each on a port P with P + 10000 free too. */
  void start(int count) {
    for (int i = 0; i < count; i++) {
      HostAndPort node = new HostAndPort("127.0.0.1", freeClusterPort());
      processes.put(node, startServer(dir, node.getPort()));
    }
  }

  Set<HostAndPort> nodes() {
    return processes.keySet();
  }

  /** {@code redis-cli --cluster create} of every server, with {@code replicas} per master. */
  void createCluster(int replicas) {
    List<String> create = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
    processes.keySet().forEach(n -> create.add(n.toString()));
    create.addAll(List.of("--cluster-replicas", Integer.toString(replicas), "--cluster-yes"));
    run(dir, create);
  }

  /** {@code kill -SIGNAL} to a server. */
  void signal(HostAndPort node, String signal) {
    Process p = process(node);
    try {
      int code =
          new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid()))
              .inheritIO()
              .start()
              .waitFor();
      if (code != 0) {
        throw new IllegalStateException("kill -" + signal + " " + node + " exited with " + code);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** SIGKILL to a server (no shutdown, no AOF flush beyond what was written). */
  void kill(HostAndPort node) {
    Process p = process(node);
    p.destroyForcibly();
    try {
      p.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private Process process(HostAndPort node) {
    Process p = processes.get(node);
    if (p == null) {
      throw new IllegalStateException(node + " was not started by this helper");
    }
    return p;
  }

  /** SIGTERM to every server, SIGKILL to those still running 10 s later. */
  void stop() {
    for (Process p : processes.values()) {
      p.destroy();
    }
    for (Process p : processes.values()) {
      try {
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      } catch (InterruptedException e) {
        p.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Stops the servers and deletes their files. */
  @Override
  public void close() {
    stop();
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException e) {
      // why: a temp directory left behind is harmless
    }
  }

  private static Process startServer(Path dir, int port) {
    Path nodeDir = dir.resolve(Integer.toString(port));
    try {
      Files.createDirectories(nodeDir);
      return new ProcessBuilder(
              "redis-server",
              "--port",
              Integer.toString(port),
              "--bind",
              "127.0.0.1",
              "--cluster-enabled",
              "yes",
              "--cluster-config-file",
              "nodes-" + port + ".conf",
              "--cluster-node-timeout",
              "2000",
              // why: a replica's first sync would wait 5 s for other replicas to share it
              "--repl-diskless-sync-delay",
              "0",
              "--appendonly",
              "yes",
              "--dir",
              nodeDir.toString(),
              "--save",
              "",
              "--daemonize",
              "no",
              "--logfile",
              nodeDir.resolve("redis.log").toString())
          .redirectErrorStream(true)
          .redirectOutput(nodeDir.resolve("stdout.log").toFile())
          .start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start redis-server (is it on the PATH?)", e);
    }
  }

  private static void run(Path dir, List<String> command) {
    Path out = dir.resolve("redis-cli.log");
    try {
      Process p =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(out.toFile())
              .start();
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        p.destroyForcibly();
        throw new IllegalStateException(
            String.join(" ", command) + " failed:\n" + Files.readString(out));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted: " + String.join(" ", command), e);
    }
  }

  /** A port P with P and its cluster bus port P + 10000 free on loopback. */
  private static int freeClusterPort() {
    for (int attempt = 0; attempt < 100; attempt++) {
      int port = 20_000 + (int) (Math.random() * 35_000);
      if (bindable(port) && bindable(port + 10_000)) {
        return port;
      }
    }
    throw new IllegalStateException("no free port pair (P, P+10000) found on 127.0.0.1");
  }

  private static boolean bindable(int port) {
    try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort() == port;
    } catch (IOException e) {
      return false;
    }
  }
}
