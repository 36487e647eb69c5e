package dev.conveyor.common.daemon;

import dev.conveyor.common.redis.Keys;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BiPredicate;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.resps.Tuple;

/**
 * Reads the daemons' heartbeats: the index {@code ns:nodes} (node id → last beat) and each node's
 * hash {@code ns:node:<id>}, in two round trips (one when no hash is to be read). Read-only.
 */
public final class NodeReader {
  private final Keys keys;

  public NodeReader(Keys keys) {
    this.keys = keys;
  }

  /** Every node of the index, in the index's order (oldest beat first). */
  public List<NodeBeat> read(UnifiedJedis jedis) {
    return read(jedis, (id, lastBeat) -> true);
  }

  /**
   * Every node of the index, the hash read only of those {@code readHash} asks for (by id and last
   * beat); the others come back without one, i.e. dead. A processor's chain share reads this every
   * 5 s and does not ask again for a node it found not live at the same last beat.
   */
  public List<NodeBeat> read(UnifiedJedis jedis, BiPredicate<String, Instant> readHash) {
    List<Tuple> index = jedis.zrangeWithScores(keys.nodes(), 0, -1);
    List<NodeBeat> nodes = new ArrayList<>(index.size());
    List<Response<Map<String, String>>> beats = new ArrayList<>(index.size());
    List<Tuple> read = new ArrayList<>(index.size());
    try (AbstractPipeline p = jedis.pipelined()) {
      for (Tuple t : index) {
        Instant lastBeat = Instant.ofEpochMilli((long) t.getScore());
        if (!readHash.test(t.getElement(), lastBeat)) {
          nodes.add(new NodeBeat(t.getElement(), lastBeat, Map.of()));
        } else {
          read.add(t);
          beats.add(p.hgetAll(keys.node(t.getElement())));
        }
      }
      if (!read.isEmpty()) {
        p.sync();
      }
    }
    for (int i = 0; i < read.size(); i++) {
      nodes.add(
          new NodeBeat(
              read.get(i).getElement(),
              Instant.ofEpochMilli((long) read.get(i).getScore()),
              beats.get(i).get()));
    }
    return nodes;
  }
}
