package dev.conveyor.common.daemon;

import dev.conveyor.common.redis.Keys;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.resps.Tuple;

/**
 * Reads the daemons' heartbeats: the index {@code ns:nodes} (node id → last beat) and each node's
 * hash {@code ns:node:<id>}, in two round trips (one when there is no hash to read). Read-only.
 */
public final class NodeReader {
  private final Keys keys;

  public NodeReader(Keys keys) {
    this.keys = keys;
  }

  /** Every node of the index, in the index's order (oldest beat first). */
  public List<NodeBeat> read(UnifiedJedis jedis) {
    return read(jedis, null);
  }

  /**
   * Every node of the index but {@code self}, which knows its own state (a processor's chain share
   * every 5 s: one command fewer while it runs alone).
   */
  public List<NodeBeat> readOthers(UnifiedJedis jedis, String self) {
    return read(jedis, self);
  }

  private List<NodeBeat> read(UnifiedJedis jedis, String skipped) {
    List<Tuple> index = new ArrayList<>(jedis.zrangeWithScores(keys.nodes(), 0, -1));
    if (skipped != null) {
      index.removeIf(t -> t.getElement().equals(skipped));
    }
    if (index.isEmpty()) {
      return List.of();
    }
    List<Response<Map<String, String>>> beats = new ArrayList<>(index.size());
    try (AbstractPipeline p = jedis.pipelined()) {
      for (Tuple t : index) {
        beats.add(p.hgetAll(keys.node(t.getElement())));
      }
      p.sync();
    }
    List<NodeBeat> nodes = new ArrayList<>(index.size());
    for (int i = 0; i < index.size(); i++) {
      nodes.add(
          new NodeBeat(
              index.get(i).getElement(),
              Instant.ofEpochMilli((long) index.get(i).getScore()),
              beats.get(i).get()));
    }
    return nodes;
  }
}
