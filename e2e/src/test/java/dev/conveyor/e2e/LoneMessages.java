package dev.conveyor.e2e;

import dev.conveyor.common.test.TestServices;
import java.util.Map;
import redis.clients.jedis.StreamEntryID;

/**
 * The latency of a message that comes alone: one every 100 ms, each through an otherwise idle trio,
 * so every batch on its way holds it alone. What is left is the fixed cost of its path — the round
 * trips and the hand-overs between threads of each daemon — which the paced runs' bursts of 20 pay
 * twice (their first message goes alone, the other 19 after it).
 */
final class LoneMessages {
  private LoneMessages() {}

  /** Publishes {@code n} messages 100 ms apart; their latency as a row of the runs' table. */
  static void run(
      TestServices services,
      StringBuilder md,
      String label,
      String pipeline,
      String prefix,
      int n,
      String payload)
      throws InterruptedException {
    for (int i = 0; i < n; i++) {
      services
          .jedis()
          .xadd(
              services.keys().inbox(),
              StreamEntryID.NEW_ENTRY,
              Map.of("pipeline", pipeline, "id", prefix + "-" + i, "payload", payload));
      Thread.sleep(100);
    }
    EndToEndBench.measure(services, md, label, prefix, n);
  }
}
