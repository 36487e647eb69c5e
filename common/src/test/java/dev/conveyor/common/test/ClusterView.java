package dev.conveyor.common.test;

import static java.util.concurrent.TimeUnit.MILLISECONDS;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;

/**
 * What the nodes of a Redis Cluster say of it ({@code CLUSTER NODES}, {@code CLUSTER INFO}), asked
 * through the seeds and the nodes they name: who serves what, who replicates whom, whether all
 * agree.
 */
final class ClusterView {
  private static final DefaultJedisClientConfig ADMIN =
      DefaultJedisClientConfig.builder()
          .connectionTimeoutMillis(1000)
          .socketTimeoutMillis(5000)
          .build();

  private final List<HostAndPort> seeds;

  ClusterView(List<HostAndPort> seeds) {
    this.seeds = List.copyOf(seeds);
  }

  List<HostAndPort> seeds() {
    return seeds;
  }

  /** The master that serves {@code key} now. */
  HostAndPort masterOf(String key) {
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
  List<HostAndPort> masters() {
    return topology().stream()
        .filter(n -> n.master() && !n.slots().isEmpty())
        .map(ClusterNode::address)
        .toList();
  }

  boolean everyMasterHasAConnectedReplica() {
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
  HostAndPort replicaOf(HostAndPort master) {
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
   * Every node that answers reports {@code cluster_state:ok} with all slots served, every master
   * serving slots answers, and all nodes agree on which master serves each slot range.
   */
  boolean healthy() {
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

  /** The nodes not marked failed, in port order. */
  List<ClusterNode> topology() {
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
    return candidates.stream().filter(ClusterView::answers).toList();
  }

  private HostAndPort anyLiveNode() {
    return seeds.stream()
        .filter(ClusterView::answers)
        .findFirst()
        .orElseThrow(() ->
            new IllegalStateException(
                "no node of "
                    + seeds.stream().map(HostAndPort::toString).collect(Collectors.joining(","))
                    + " answers"));
  }

  /** A connection for administration commands to one node. */
  static Jedis admin(HostAndPort node) {
    return new Jedis(node, ADMIN);
  }

  static boolean answers(HostAndPort node) {
    try (Jedis j = admin(node)) {
      return "PONG".equals(j.ping());
    } catch (RuntimeException e) {
      return false;
    }
  }

  /** Polls {@code condition} every 100 ms; throws {@code failure} after {@code timeout}. */
  static void awaitTrue(Duration timeout, BooleanSupplier condition, String failure) {
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
}
