package dev.conveyor.common.test;

import static dev.conveyor.common.test.ClusterView.awaitTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;

/**
 * A real Redis Cluster for tests: three masters and three replicas started as {@code redis-server}
 * processes ({@link ClusterServers}), or the cluster named by {@code
 * CONVEYOR_TEST_REDIS_CLUSTER_URL} ({@code redis://host:port,host:port,...}, any of its nodes).
 * {@link #close()} stops the processes it started and deletes their files; a cluster from the
 * environment is left as it is (tests only use namespaces of their own on it).
 *
 * <p>Also what a failover test needs: which master serves a key, its replica ({@link ClusterView}),
 * a manual {@code CLUSTER FAILOVER}, and a SIGKILL of a node this helper started.
 */
public final class TestRedisCluster implements AutoCloseable {
  static final String ENV = "CONVEYOR_TEST_REDIS_CLUSTER_URL";
  private static final int MASTERS = 3;
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(30);

  private final ClusterView view;
  // why: null for a cluster from the environment, which this helper neither started nor stops
  private final ClusterServers servers;

  private TestRedisCluster(List<HostAndPort> seeds, ClusterServers servers) {
    this.view = new ClusterView(seeds);
    this.servers = servers;
  }

  /** The cluster of {@code CONVEYOR_TEST_REDIS_CLUSTER_URL} when set, else a new local one. */
  public static TestRedisCluster resolve(Map<String, String> env) {
    String url = env.get(ENV);
    if (url != null && !url.isBlank()) {
      TestRedisCluster external = new TestRedisCluster(parse(url), null);
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
    ClusterServers servers = new ClusterServers();
    try {
      servers.start(MASTERS * 2);
      for (HostAndPort node : servers.nodes()) {
        awaitTrue(READY_TIMEOUT, () -> ClusterView.answers(node), node + " did not answer PING");
      }
      servers.createCluster(1);
      TestRedisCluster started = new TestRedisCluster(List.copyOf(servers.nodes()), servers);
      started.awaitHealthy(READY_TIMEOUT);
      // why: cluster_state:ok comes before the replicas are in sync; failover tests need them
      awaitTrue(
          READY_TIMEOUT,
          started.view::everyMasterHasAConnectedReplica,
          "a master of " + started.seeds() + " has no connected replica");
      Runtime.getRuntime().addShutdownHook(new Thread(servers::stop, "redis-cluster-stop"));
      return started;
    } catch (RuntimeException e) {
      servers.close();
      throw e;
    }
  }

  /** {@code host:port,host:port,...}: what {@code CONVEYOR_REDIS_CLUSTER} takes. */
  public String seeds() {
    return view.seeds().stream().map(HostAndPort::toString).collect(Collectors.joining(","));
  }

  /** A {@code redis://} URL of one node (the scheme and credentials for the daemons' clients). */
  public String url() {
    return "redis://" + view.seeds().getFirst();
  }

  /** Every node now in the cluster that answers, masters and replicas. */
  public List<HostAndPort> nodes() {
    return view.topology().stream().map(ClusterNode::address).toList();
  }

  /** Whether this helper started the nodes (so it may kill them). */
  public boolean local() {
    return servers != null;
  }

  /** The master that serves {@code key} now. */
  public HostAndPort masterOf(String key) {
    return view.masterOf(key);
  }

  /** The masters serving slots, in port order. */
  public List<HostAndPort> masters() {
    return view.masters();
  }

  /** A connected replica of {@code master}. */
  public HostAndPort replicaOf(HostAndPort master) {
    return view.replicaOf(master);
  }

  /**
   * A manual failover: {@code CLUSTER FAILOVER} on {@code replica}, which waits until it has every
   * write of its master and then takes its slots (no acknowledged write is lost). Returns once the
   * replica is a master and every node sees the cluster healthy.
   */
  public void failover(HostAndPort replica) {
    try (Jedis j = ClusterView.admin(replica)) {
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
    started().signal(node, "STOP");
  }

  /** SIGCONT to a node {@link #pause(HostAndPort) paused}. */
  public void resume(HostAndPort node) {
    started().signal(node, "CONT");
  }

  /** SIGKILL to a node this helper started (no shutdown, no AOF flush beyond what was written). */
  public void kill(HostAndPort node) {
    started().kill(node);
  }

  private ClusterServers started() {
    if (servers == null) {
      throw new IllegalStateException(seeds() + " was not started by this helper");
    }
    return servers;
  }

  /**
   * Waits until every node that answers reports {@code cluster_state:ok} with all slots served,
   * every master serving slots answers, and all nodes agree on which master serves each slot range.
   */
  public void awaitHealthy(Duration timeout) {
    awaitTrue(timeout, view::healthy, "Redis Cluster " + seeds() + " did not become healthy");
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

  @Override
  public void close() {
    if (servers != null) {
      servers.close();
    }
  }
}
