package dev.conveyor.e2e;

import dev.conveyor.common.test.TestServices;
import java.util.Map;
import java.util.function.IntFunction;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.StreamEntryID;

/** Messages put on a test's inbox stream the way a producer does: XADD, pipelined. */
final class Inbox {
  private Inbox() {}

  /**
   * Messages {@code from} to {@code from + count - 1} for {@code pipeline}, with ids {@code
   * <idPrefix><i>} and the payload {@code payload} gives for {@code i}.
   */
  static void publish(
      TestServices services,
      String pipeline,
      String idPrefix,
      int from,
      int count,
      IntFunction<String> payload) {
    try (AbstractPipeline p = services.jedis().pipelined()) {
      for (int i = from; i < from + count; i++) {
        p.xadd(
            services.keys().inbox(),
            StreamEntryID.NEW_ENTRY,
            Map.of("pipeline", pipeline, "id", idPrefix + i, "payload", payload.apply(i)));
      }
      p.sync();
    }
  }
}
