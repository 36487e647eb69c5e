package dev.conveyor.common.daemon;

import dev.conveyor.common.redis.Keys;
import java.time.Duration;
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
  /**
   * How long after its last beat a node's hash is surely gone: its longest life is a minute (the
   * last beat of a clean stop), and a minute more allows for the clocks of two machines.
   */
  static final Duration LONG_GONE = Duration.ofMinutes(2);

  private final Keys keys;

  public NodeReader(Keys keys) {
    this.keys = keys;
  }

  /** Every node of the index, in the index's order (oldest beat first). */
  public List<NodeBeat> read(UnifiedJedis jedis) {
    return read(jedis, null, Instant.EPOCH);
  }

  /**
   * Every node of the index but {@code self}, which knows its own state; the hashes of nodes whose
   * last beat is older than {@link #LONG_GONE} are not read: they expired (a hash outlives its last
   * beat by a minute at most, {@link Heartbeat}), so those nodes come back dead. A processor's
   * chain share reads this every 5 s; patrol keeps dead nodes in the index for a day.
   */
  public List<NodeBeat> readOthers(UnifiedJedis jedis, String self, Instant now) {
    return read(jedis, self, now.minus(LONG_GONE));
  }

  private List<NodeBeat> read(UnifiedJedis jedis, String skipped, Instant beatSince) {
    List<Tuple> index = jedis.zrangeWithScores(keys.nodes(), 0, -1);
    List<NodeBeat> nodes = new ArrayList<>(index.size());
    List<Response<Map<String, String>>> beats = new ArrayList<>(index.size());
    List<Tuple> read = new ArrayList<>(index.size());
    try (AbstractPipeline p = jedis.pipelined()) {
      for (Tuple t : index) {
        Instant lastBeat = Instant.ofEpochMilli((long) t.getScore());
        if (t.getElement().equals(skipped)) {
          continue;
        }
        if (lastBeat.isBefore(beatSince)) {
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
