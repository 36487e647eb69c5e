package dev.conveyor.common.redis;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import redis.clients.jedis.CommandObjects;
import redis.clients.jedis.Connection;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.RedisClusterClient;
import redis.clients.jedis.RedisProtocol;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.params.SetParams;
import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * Waits until writes already made to some tasks' keys are on every online replica of the masters
 * holding them, before the entries they came from are acknowledged upstream. Redis replicates
 * asynchronously: a master killed outright loses what it acknowledged but had not yet sent, and a
 * task registration lost that way after its inbox entry was acknowledged would be a message lost.
 *
 * <p>{@code WAIT} only covers the writes of its own connection, and a pool spreads writes over
 * connections, so on one connection to each master concerned the barrier asks how many replicas are
 * online, writes a short-lived marker (with the hash tag of a task written there), and waits for
 * them to have the marker: a replica applies its master's stream in order, so the marker replicated
 * means everything written before it was too. A master without an online replica is not waited for:
 * there is no replica that could take over without its writes (its own AOF keeps them).
 *
 * <p>When the inbox is on another Redis, the barrier also waits on the same connection until the
 * master has written the marker, and so everything before it, to its AOF on disk ({@code WAITAOF 1
 * 0}; see {@link AofWait} for when it is used).
 */
public final class ReplicationBarrier {
  // why: the connections speak the client's default protocol (RESP2); SET, INFO and WAIT read alike
  // in both
  private static final long MARKER_TTL_MILLIS = 1_000;
  static final CommandObjects COMMANDS = new CommandObjects(RedisProtocol.RESP2);

  private final Keys keys;
  private final boolean enabled;
  private final Duration timeout;
  private final boolean aof;

  /**
   * @param enabled whether to wait for the replicas ({@code CONVEYOR_REDIS_WAIT_REPLICAS})
   * @param timeout how long to wait for the replicas (and the AOF) of one master
   * @param aof whether to wait for each master's AOF too ({@link AofWait#used()})
   */
  public ReplicationBarrier(Keys keys, boolean enabled, Duration timeout, boolean aof) {
    this.keys = keys;
    this.enabled = enabled;
    this.timeout = timeout;
    this.aof = aof;
  }

  /** A barrier that waits for the replicas only. */
  public ReplicationBarrier(Keys keys, boolean enabled, Duration timeout) {
    this(keys, enabled, timeout, false);
  }

  /**
   * Returns once the writes made so far to the keys of {@code taskIds} are on every online replica
   * of their masters.
   *
   * @throws ReplicationShortException when some replicas did not acknowledge them in time
   */
  public void await(UnifiedJedis jedis, Collection<String> taskIds) {
    if ((!enabled && !aof) || taskIds.isEmpty()) {
      return;
    }
    for (Map.Entry<String, Integer> marker : markersByNode(jedis, taskIds).entrySet()) {
      try (Connection c = connection(jedis, marker.getValue())) {
        int online = enabled ? onlineReplicas(c.executeCommand(COMMANDS.info("replication"))) : 0;
        if (online == 0 && !aof) {
          continue;
        }
        // why: any write will do, and this one is gone a second later (WAIT needs no key)
        c.executeCommand(
            COMMANDS.set(marker.getKey(), "1", SetParams.setParams().px(MARKER_TTL_MILLIS)));
        if (aof) {
          long local =
              c.executeCommand(COMMANDS.waitAOF(1, 0, Math.max(1, timeout.toMillis()))).getKey();
          if (local < 1) {
            throw new ReplicationShortException(
                "the writes did not reach the AOF of "
                    + c.getHostAndPort()
                    + " within "
                    + timeout
                    + " (WAITAOF)");
          }
        }
        if (online == 0) {
          continue;
        }
        long reached =
            c.executeCommand(COMMANDS.waitReplicas(online, Math.max(1, timeout.toMillis())));
        if (reached < online) {
          throw new ReplicationShortException(
              "the writes reached "
                  + reached
                  + " of the "
                  + online
                  + " online replicas of "
                  + c.getHostAndPort()
                  + " within "
                  + timeout
                  + " (CONVEYOR_REDIS_WAIT_REPLICAS)");
        }
      }
    }
  }

  /** One marker per master: the marker key → the hash slot it lives in. */
  private Map<String, Integer> markersByNode(UnifiedJedis jedis, Collection<String> taskIds) {
    Map<String, String> markerOfNode = new LinkedHashMap<>();
    Map<Integer, String> nodeOfSlot = new HashMap<>();
    for (String id : taskIds) {
      String marker = keys.replicationMarker(id);
      int slot = JedisClusterCRC16.getSlot(marker);
      String node =
          jedis instanceof RedisClusterClient cluster
              ? nodeOfSlot.computeIfAbsent(slot, s -> nodeOf(cluster, s))
              : "";
      markerOfNode.putIfAbsent(node, marker);
    }
    Map<String, Integer> markers = new LinkedHashMap<>();
    markerOfNode.values().forEach(m -> markers.put(m, JedisClusterCRC16.getSlot(m)));
    return markers;
  }

  private static Connection connection(UnifiedJedis jedis, int slot) {
    return switch (jedis) {
      case RedisClusterClient cluster -> cluster.getConnectionFromSlot(slot);
      case RedisClient single -> single.getPool().getResource();
      default ->
          throw new IllegalArgumentException(
              "no connection to reach: " + jedis.getClass().getName());
    };
  }

  private static String nodeOf(RedisClusterClient cluster, int slot) {
    try (Connection c = cluster.getConnectionFromSlot(slot)) {
      return c.getHostAndPort().toString();
    }
  }

  /** Replicas in {@code INFO replication} whose state is {@code online}. */
  static int onlineReplicas(String info) {
    int online = 0;
    for (String line : info.lines().toList()) {
      if (line.startsWith("slave") && line.contains(":") && line.contains("state=online")) {
        online++;
      }
    }
    return online;
  }

  /**
   * Fewer replicas than online acknowledged the writes in time, or the AOF did not have them in
   * time: they are not safe yet. Not the entries' fault: the intake tries again without counting it
   * against them ({@link dev.conveyor.common.outage.Outages}).
   */
  public static final class ReplicationShortException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ReplicationShortException(String message) {
      super(message);
    }
  }
}
