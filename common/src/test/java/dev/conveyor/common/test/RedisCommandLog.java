package dev.conveyor.common.test;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisMonitor;

/**
 * The commands clients send to the test Redis (every master of a cluster) that name a key of one
 * namespace, as {@code MONITOR} reports them; commands a script runs are left out (the script's
 * {@code EVALSHA} is the command). For tests of how many commands an operation costs: start one,
 * run the operation, then {@link #stop}.
 */
public final class RedisCommandLog implements AutoCloseable {
  private static final Duration WAIT = Duration.ofSeconds(10);

  private final List<NodeLog> nodes = new ArrayList<>();

  private RedisCommandLog() {}

  /** Starts logging the commands that name keys of {@code services}' namespace. */
  public static RedisCommandLog start(TestServices services) throws InterruptedException {
    RedisCommandLog log = new RedisCommandLog();
    try {
      for (String url : services.redisMasterUrls()) {
        log.nodes.add(new NodeLog(url, services.namespace()));
      }
      for (NodeLog node : log.nodes) {
        node.awaitStarted();
      }
    } catch (RuntimeException | InterruptedException e) {
      log.close();
      throw e;
    }
    return log;
  }

  /**
   * Stops logging once every command sent before this call was reported; the names of the commands
   * logged, upper case (on a cluster, node by node, each in the order its node ran them).
   */
  public List<String> stop() throws InterruptedException {
    List<String> names = new ArrayList<>();
    for (NodeLog node : nodes) {
      names.addAll(node.stop());
    }
    return names;
  }

  /** How many logged commands have the name {@code command}. */
  public static long count(List<String> commands, String command) {
    return commands.stream().filter(command::equalsIgnoreCase).count();
  }

  @Override
  public void close() {
    nodes.forEach(NodeLog::close);
  }

  /** One node's MONITOR, on a thread of its own. */
  private static final class NodeLog {
    private final String url;
    private final String namespace;
    private final String startMarker;
    private final String endMarker;
    private final Jedis monitor;
    private final List<String> lines = new ArrayList<>();
    private final CountDownLatch started = new CountDownLatch(1);
    private final CountDownLatch ended = new CountDownLatch(1);
    private final Thread reader;

    NodeLog(String url, String namespace) {
      this.url = url;
      this.namespace = namespace;
      long id = System.nanoTime();
      this.startMarker = namespace + ":command-log-start:" + id;
      this.endMarker = namespace + ":command-log-end:" + id;
      this.monitor = new Jedis(URI.create(url));
      this.reader =
          Thread.ofPlatform()
              .daemon()
              .name("redis-command-log")
              .start(() -> {
                try {
                  monitor.monitor(
                      new JedisMonitor() {
                        @Override
                        public void onCommand(String line) {
                          took(line);
                        }
                      });
                } catch (RuntimeException e) {
                  // why: closing the connection is how the log stops
                }
              });
    }

    /** MONITOR reports only commands sent after it started: probe until it reports one. */
    void awaitStarted() throws InterruptedException {
      try (Jedis probe = new Jedis(URI.create(url))) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!started.await(50, TimeUnit.MILLISECONDS)) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException("MONITOR on " + url + " reported nothing in " + WAIT);
          }
          probe.echo(startMarker);
        }
      }
    }

    private synchronized void took(String line) {
      if (line.contains(startMarker)) {
        started.countDown();
      } else if (line.contains(endMarker)) {
        ended.countDown();
      } else if (started.getCount() == 0 && !line.contains(" lua]") && line.contains(namespace)) {
        lines.add(line);
      }
    }

    List<String> stop() throws InterruptedException {
      try (Jedis probe = new Jedis(URI.create(url))) {
        probe.echo(endMarker);
      }
      if (!ended.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new IllegalStateException("MONITOR on " + url + " missed the end marker");
      }
      close();
      List<String> names = new ArrayList<>();
      synchronized (this) {
        for (String line : lines) {
          // 1700000000.123456 [0 127.0.0.1:54321] "ZADD" "key" ...
          int open = line.indexOf("] \"");
          int close = line.indexOf('"', open + 3);
          names.add(line.substring(open + 3, close).toUpperCase(Locale.ROOT));
        }
      }
      return names;
    }

    void close() {
      monitor.close();
      try {
        reader.join(WAIT.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
