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
   * Every node of the index, in the index's order, the hash read only of those {@code readHash}
   * asks for (by id and last beat); the others come back without one, i.e. dead. A processor's
   * chain share reads this every 5 s and does not ask again for a node it found not live at the
   * same last beat.
   */
  public List<NodeBeat> read(UnifiedJedis jedis, BiPredicate<String, Instant> readHash) {
    List<Tuple> index = jedis.zrangeWithScores(keys.nodes(), 0, -1);
    List<Boolean> asked = new ArrayList<>(index.size());
    for (Tuple t : index) {
      asked.add(readHash.test(t.getElement(), lastBeat(t)));
    }
    List<Response<Map<String, String>>> beats = new ArrayList<>(index.size());
    if (asked.contains(true)) {
      try (AbstractPipeline p = jedis.pipelined()) {
        for (int i = 0; i < index.size(); i++) {
          if (asked.get(i)) {
            beats.add(p.hgetAll(keys.node(index.get(i).getElement())));
          }
        }
        p.sync();
      }
    }
    List<NodeBeat> nodes = new ArrayList<>(index.size());
    for (int i = 0, b = 0; i < index.size(); i++) {
      Tuple t = index.get(i);
      nodes.add(
          new NodeBeat(
              t.getElement(), lastBeat(t), asked.get(i) ? beats.get(b++).get() : Map.of()));
    }
    return nodes;
  }

  private static Instant lastBeat(Tuple t) {
    return Instant.ofEpochMilli((long) t.getScore());
  }
}
