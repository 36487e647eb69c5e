package dev.conveyor.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.common.redis.StreamGroup;
import dev.conveyor.common.redis.StreamMessage;
import dev.conveyor.common.test.TestServices;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.UnifiedJedis;

/**
 * The baseline of the benchmarks: the least a Redis stream → PostgreSQL pipeline must do —
 * XREADGROUP a batch, one {@code jsonb_populate_recordset} INSERT, XACK. Needs a table {@code
 * conveyor.bare_rows (task_id, part, text)}.
 */
final class ProcessorBenchBaseline {
  private static final int BATCH = 500;

  private ProcessorBenchBaseline() {}

  /** Copies {@code items} stream entries into conveyor.bare_rows; returns the seconds it took. */
  static double copy(TestServices services, int items) throws Exception {
    UnifiedJedis jedis = services.jedis();
    String stream = services.keys().namespace() + ":bare";
    for (int from = 0; from < items; from += 1000) {
      try (AbstractPipeline p = jedis.pipelined()) {
        for (int i = from; i < Math.min(items, from + 1000); i++) {
          p.xadd(
              stream,
              StreamEntryID.NEW_ENTRY,
              Map.of("t", "bare-" + i, "p", "0", "text", "item " + i));
        }
        p.sync();
      }
    }
    StreamGroup group = new StreamGroup(jedis, stream, "g");
    group.ensure();
    long start = System.nanoTime();
    try (Connection c = services.dataSource().getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "INSERT INTO conveyor.bare_rows (task_id, part, text) SELECT task_id, part, text FROM"
                    + " jsonb_populate_recordset(NULL::conveyor.bare_rows, ?::jsonb) ON CONFLICT DO NOTHING")) {
      while (true) {
        List<StreamMessage> batch = group.readNew("c", BATCH, Duration.ZERO);
        if (batch.isEmpty()) {
          break;
        }
        StringBuilder json = new StringBuilder("[");
        for (StreamMessage m : batch) {
          json.append(json.length() == 1 ? "" : ",")
              .append("{\"task_id\":\"")
              .append(m.text("t").orElseThrow())
              .append("\",\"part\":0,\"text\":\"")
              .append(m.text("text").orElseThrow())
              .append("\"}");
        }
        ps.setString(1, json.append(']').toString());
        ps.executeUpdate();
        group.ack(batch.stream().map(StreamMessage::id).toList());
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    assertThat(services.queryLong("SELECT count(*) FROM conveyor.bare_rows")).isEqualTo(items);
    return seconds;
  }
}
