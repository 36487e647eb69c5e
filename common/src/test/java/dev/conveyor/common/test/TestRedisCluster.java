package dev.conveyor.common.test;

import static java.util.concurrent.TimeUnit.MILLISECONDS;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;

/**
 * A real Redis Cluster for tests: three masters and three replicas started as {@code redis-server}
 * processes on free loopback ports (AOF on, node timeout 2 s), or the cluster named by {@code
 * CONVEYOR_TEST_REDIS_CLUSTER_URL} ({@code redis://host:port,host:port,...}, any of its nodes).
 * {@link #close()} stops the processes it started and deletes their files; a cluster from the
 * environment is left as it is (tests only use namespaces of their own on it).
 *
 * <p>Also what a failover test needs: which master serves a key, its replica, a manual {@code
 * CLUSTER FAILOVER}, and a SIGKILL of a node this helper started.
 */
public final class TestRedisCluster implements AutoCloseable {
  static final String ENV = "CONVEYOR_TEST_REDIS_CLUSTER_URL";
  private static final int MASTERS = 3;
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(30);
  private static final DefaultJedisClientConfig ADMIN =
      DefaultJedisClientConfig.builder()
          .connectionTimeoutMillis(1000)
          .socketTimeoutMillis(5000)
          .build();

  private final List<HostAndPort> seeds;
  private final Map<HostAndPort, Process> processes;
  private final Path dir;

  private TestRedisCluster(List<HostAndPort> seeds, Map<HostAndPort, Process> processes, Path dir) {
    this.seeds = List.copyOf(seeds);
    this.processes = processes;
    this.dir = dir;
  }

  /** The cluster of {@code CONVEYOR_TEST_REDIS_CLUSTER_URL} when set, else a new local one. */
  public static TestRedisCluster resolve(Map<String, String> env) {
    String url = env.get(ENV);
    if (url != null && !url.isBlank()) {
      TestRedisCluster external = new TestRedisCluster(parse(url), Map.of(), null);
      try {
        external.awaitHealthy(READY_TIMEOUT);
      } catch (IllegalStateException e) {
        throw new IllegalStateException(
            ENV + "=" + url + " is not a healthy Redis Cluster: " + e.getMessage(), e);
      }
      return external;
    }
    return start();
  }

  /** Starts three masters and three replicas on free loopback ports, and waits until all agree. */
  public static TestRedisCluster start() {
    Path dir;
    try {
      dir = Files.createTempDirectory("conveyor-redis-cluster-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Map<HostAndPort, Process> processes = new LinkedHashMap<>();
    TestRedisCluster cluster = new TestRedisCluster(List.of(), processes, dir);
    try {
      for (int i = 0; i < MASTERS * 2; i++) {
        HostAndPort node = new HostAndPort("127.0.0.1", freeClusterPort());
        processes.put(node, startServer(dir, node.getPort()));
      }
      for (HostAndPort node : processes.keySet()) {
        awaitTrue(READY_TIMEOUT, () -> answers(node), node + " did not answer PING");
      }
      List<String> create = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
      processes.keySet().forEach(n -> create.add(n.toString()));
      create.addAll(List.of("--cluster-replicas", "1", "--cluster-yes"));
      run(dir, create);
      TestRedisCluster started =
          new TestRedisCluster(List.copyOf(processes.keySet()), processes, dir);
      started.awaitHealthy(READY_TIMEOUT);
      // why: cluster_state:ok comes before the replicas are in sync; failover tests need them
      awaitTrue(
          READY_TIMEOUT,
          started::everyMasterHasAConnectedReplica,
          "a master of " + started.seeds() + " has no connected replica");
      Runtime.getRuntime()
          .addShutdownHook(new Thread(started::stopProcesses, "redis-cluster-stop"));
      return started;
    } catch (RuntimeException e) {
      cluster.close();
      throw e;
    }
  }

  /** {@code host:port,host:port,...}: what {@code CONVEYOR_REDIS_CLUSTER} takes. */
  public String seeds() {
    return seeds.stream().map(HostAndPort::toString).collect(Collectors.joining(","));
  }

  /** A {@code redis://} URL of one node (the scheme and credentials for the daemons' clients). */
  public String url() {
    return "redis://" + seeds.getFirst();
  }

  /** Every node now in the cluster that answers, masters and replicas. */
  public List<HostAndPort> nodes() {
    return topology().stream().map(ClusterNode::address).toList();
  }

  /** Whether this helper started the nodes (so it may kill them). */
  public boolean local() {
    return !processes.isEmpty();
  }

  /** The master that serves {@code key} now. */
  public HostAndPort masterOf(String key) {
    int slot;
    try (Jedis j = admin(anyLiveNode())) {
      slot = Math.toIntExact(j.clusterKeySlot(key));
    }
    return topology().stream()
        .filter(n -> n.master() && n.serves(slot))
        .map(ClusterNode::address)
        .findFirst()
        .orElseThrow(() -> new IllegalStateException("no master serves slot " + slot));
  }

  /** The masters serving slots, in port order. */
  public List<HostAndPort> masters() {
    return topology().stream()
        .filter(n -> n.master() && !n.slots().isEmpty())
        .map(ClusterNode::address)
        .toList();
  }

  private boolean everyMasterHasAConnectedReplica() {
    try {
      for (HostAndPort master : masters()) {
        replicaOf(master);
        try (Jedis j = admin(master)) {
          // why: a replica is connected before its first sync is done (state wait_bgsave)
          if (!j.info("replication").contains("state=online")) {
            return false;
          }
        }
      }
      return true;
    } catch (RuntimeException e) {
      return false;
    }
  }

  /** A connected replica of {@code master}. */
  public HostAndPort replicaOf(HostAndPort master) {
    List<ClusterNode> nodes = topology();
    String id =
        nodes.stream()
            .filter(n -> n.address().equals(master))
            .findFirst()
            .orElseThrow(() -> new IllegalStateException(master + " is not in the cluster"))
            .id();
    return nodes.stream()
        .filter(n -> id.equals(n.masterId()) && n.connected())
        .map(ClusterNode::address)
        .findFirst()
        .orElseThrow(() -> new IllegalStateException(master + " has no connected replica"));
  }

  /**
   * A manual failover: {@code CLUSTER FAILOVER} on {@code replica}, which waits until it has every
   * write of its master and then takes its slots (no acknowledged write is lost). Returns once the
   * replica is a master and every node sees the cluster healthy.
   */
  public void failover(HostAndPort replica) {
    try (Jedis j = admin(replica)) {
      j.clusterFailover();
    }
    awaitTrue(
        READY_TIMEOUT,
        () -> masters().contains(replica),
        replica + " did not become a master after CLUSTER FAILOVER");
    awaitHealthy(READY_TIMEOUT);
  }

  /**
   * SIGKILL to a master this helper started; returns once its replica has taken its slots (after
   * the node timeout, 2 s, and an election) and every node sees the cluster healthy.
   *
   * @return the replica that took over
   */
  public HostAndPort killMaster(HostAndPort master) {
    HostAndPort heir = replicaOf(master);
    kill(master);
    awaitTrue(
        READY_TIMEOUT,
        () -> masters().contains(heir) && !masters().contains(master),
        heir + " did not take over from the killed " + master);
    awaitHealthy(READY_TIMEOUT);
    return heir;
  }

  /**
   * SIGSTOP to a node this helper started: it keeps its connections but answers nothing (a stalled
   * host) until {@link #resume(HostAndPort)}. Keep it short: after the node timeout (2 s) the
   * cluster takes it for failed.
   */
  public void pause(HostAndPort node) {
    signal(node, "STOP");
  }

  /** SIGCONT to a node {@link #pause(HostAndPort) paused}. */
  public void resume(HostAndPort node) {
    signal(node, "CONT");
  }

  private void signal(HostAndPort node, String signal) {
    Process p = processes.get(node);
    if (p == null) {
      throw new IllegalStateException(node + " was not started by this helper");
    }
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

  /** SIGKILL to a node this helper started (no shutdown, no AOF flush beyond what was written). */
  public void kill(HostAndPort node) {
    Process p = processes.get(node);
    if (p == null) {
      throw new IllegalStateException(node + " was not started by this helper");
    }
    p.destroyForcibly();
    try {
      p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Waits until every node that answers reports {@code cluster_state:ok} with all slots served,
   * every master serving slots answers, and all nodes agree on which master serves each slot range.
   */
  public void awaitHealthy(Duration timeout) {
    awaitTrue(timeout, this::healthy, "Redis Cluster " + seeds() + " did not become healthy");
  }

  private boolean healthy() {
    List<HostAndPort> live = liveNodes();
    if (live.isEmpty()) {
      return false;
    }
    String view = null;
    for (HostAndPort node : live) {
      try (Jedis j = admin(node)) {
        String info = j.clusterInfo();
        if (!info.contains("cluster_state:ok") || !info.contains("cluster_slots_ok:16384")) {
          return false;
        }
        List<ClusterNode> nodes = ClusterNode.parseAll(j.clusterNodes());
        boolean mastersLive =
            nodes.stream()
                .filter(n -> n.master() && !n.slots().isEmpty())
                .allMatch(n -> live.contains(n.address()) && !n.failed());
        if (!mastersLive) {
          return false;
        }
        String v = masterView(nodes);
        if (view != null && !view.equals(v)) {
          return false;
        }
        view = v;
      } catch (RuntimeException e) {
        return false;
      }
    }
    return true;
  }

  private static String masterView(List<ClusterNode> nodes) {
    return nodes.stream()
        .filter(n -> n.master() && n.connected() && !n.slots().isEmpty())
        .sorted(Comparator.comparing(n -> n.address().toString()))
        .map(n -> n.address() + "=" + n.slots())
        .collect(Collectors.joining(";"));
  }

  private List<ClusterNode> topology() {
    try (Jedis j = admin(anyLiveNode())) {
      return ClusterNode.parseAll(j.clusterNodes()).stream()
          .filter(n -> !n.failed())
          .sorted(Comparator.comparingInt(n -> n.address().getPort()))
          .toList();
    }
  }

  private List<HostAndPort> liveNodes() {
    List<HostAndPort> candidates = new ArrayList<>(seeds);
    for (HostAndPort seed : seeds) {
      if (answers(seed)) {
        try (Jedis j = admin(seed)) {
          ClusterNode.parseAll(j.clusterNodes()).stream()
              .map(ClusterNode::address)
              .filter(a -> !candidates.contains(a))
              .forEach(candidates::add);
        } catch (RuntimeException e) {
          // why: a node that fails now is left out below
        }
        break;
      }
    }
    return candidates.stream().filter(TestRedisCluster::answers).toList();
  }

  private HostAndPort anyLiveNode() {
    return seeds.stream()
        .filter(TestRedisCluster::answers)
        .findFirst()
        .orElseThrow(() -> new IllegalStateException("no node of " + seeds() + " answers"));
  }

  private static Jedis admin(HostAndPort node) {
    return new Jedis(node, ADMIN);
  }

  private static boolean answers(HostAndPort node) {
    try (Jedis j = admin(node)) {
      return "PONG".equals(j.ping());
    } catch (RuntimeException e) {
      return false;
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
      if (!p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS) || p.exitValue() != 0) {
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

  private static void awaitTrue(Duration timeout, BooleanSupplier condition, String failure) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(failure + " within " + timeout);
      }
      LockSupport.parkNanos(MILLISECONDS.toNanos(100));
      if (Thread.currentThread().isInterrupted()) {
        throw new IllegalStateException("interrupted while waiting: " + failure);
      }
    }
  }

  static List<HostAndPort> parse(String url) {
    String list = url.strip().replaceFirst("^redis://", "");
    List<HostAndPort> nodes = new ArrayList<>();
    for (String part : list.split(",")) {
      String p = part.strip().replaceFirst("^redis://", "").replaceFirst("/.*$", "");
      int colon = p.lastIndexOf(':');
      if (colon <= 0) {
        throw new IllegalArgumentException(
            ENV + " must be redis://host:port,host:port, was " + url);
      }
      nodes.add(new HostAndPort(p.substring(0, colon), Integer.parseInt(p.substring(colon + 1))));
    }
    return nodes;
  }

  private void stopProcesses() {
    for (Process p : processes.values()) {
      p.destroy();
    }
    for (Process p : processes.values()) {
      try {
        if (!p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      } catch (InterruptedException e) {
        p.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public void close() {
    stopProcesses();
    if (dir != null) {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      } catch (IOException e) {
        // why: a temp directory left behind is harmless
      }
    }
  }

  /** One line of CLUSTER NODES. */
  record ClusterNode(
      String id,
      HostAndPort address,
      boolean master,
      String masterId,
      boolean connected,
      boolean failed,
      String slots) {

    static List<ClusterNode> parseAll(String text) {
      List<ClusterNode> nodes = new ArrayList<>();
      for (String line : text.split("\n")) {
        if (!line.isBlank()) {
          nodes.add(parse(line.strip()));
        }
      }
      return nodes;
    }

    // <id> <ip:port@cport[,hostname]> <flags> <master> <ping-sent> <pong-recv> <epoch> <link>
    // <slot> ...
    static ClusterNode parse(String line) {
      String[] f = line.split(" ");
      String addr = f[1].substring(0, f[1].indexOf('@'));
      int colon = addr.lastIndexOf(':');
      List<String> flags = List.of(f[2].split(","));
      List<String> slots = new ArrayList<>();
      for (int i = 8; i < f.length; i++) {
        if (!f[i].startsWith("[")) {
          slots.add(f[i]);
        }
      }
      return new ClusterNode(
          f[0],
          new HostAndPort(addr.substring(0, colon), Integer.parseInt(addr.substring(colon + 1))),
          flags.contains("master"),
          "-".equals(f[3]) ? null : f[3],
          "connected".equals(f[7]),
          flags.contains("fail") || flags.contains("fail?") || flags.contains("noaddr"),
          String.join(" ", slots));
    }

    boolean serves(int slot) {
      return Optional.of(slots).filter(s -> !s.isEmpty()).stream()
          .flatMap(s -> Stream.of(s.split(" ")))
          .anyMatch(range -> {
            int dash = range.indexOf('-');
            int from = Integer.parseInt(dash < 0 ? range : range.substring(0, dash));
            int to = dash < 0 ? from : Integer.parseInt(range.substring(dash + 1));
            return slot >= from && slot <= to;
          });
    }
  }
}
