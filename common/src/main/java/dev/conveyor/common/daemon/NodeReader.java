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
 * hash {@code ns:node:<id>}, in two round trips. Read-only.
 */
public final class NodeReader {
  private final Keys keys;

  public NodeReader(Keys keys) {
    this.keys = keys;
  }

  /** Every node of the index, in the index's order (oldest beat first). */
  public List<NodeBeat> read(UnifiedJedis jedis) {
    List<Tuple> index = jedis.zrangeWithScores(keys.nodes(), 0, -1);
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
