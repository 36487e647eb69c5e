package dev.conveyor.e2e;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Outages are not the items' fault: the real trio on a Redis and a PostgreSQL of its own, the
 * {@code ner} pipeline under a steady load of real documents, while PostgreSQL is stopped for two
 * minutes, Redis is killed and started again from its AOF two minutes later, and every connection
 * to PostgreSQL goes half-open (the path to it lost without a word: {@link FreezingRelay}) for
 * longer than the socket, statement and idle-in-transaction timeouts. For each: every daemon says
 * DEGRADED on {@code /health} throughout, logs one WARN when the service goes and one INFO when it
 * is back and no other WARN or ERROR, stays up, and the dispatcher and the processor resume within
 * 5 s of the service's return (plus slack for a loaded machine; the times are printed). At the end
 * every message is one {@code delivered} audit row, no item is dead, and the rows equal the
 * embedded run's. {@code deploy/bin/soak outages} runs the same with outages of 10 minutes ({@code
 * outages.length}, {@code outages.halfOpen}, {@code outages.documents}).
 *
 * <p>The statement timeout is cut to 10 s (socket timeout 25 s, idle-in-transaction 20 s) so that
 * the half-open outage outlasts every timeout within 45 s; the soak uses the defaults.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OutagesIT {
  static final Duration RESUME_WITHIN = Duration.ofSeconds(8);
  private static final Duration OUTAGE =
      Duration.parse(System.getProperty("outages.length", "PT2M"));
  private static final Duration HALF_OPEN =
      Duration.parse(System.getProperty("outages.halfOpen", "PT45S"));
  private static final int DOCUMENTS = Integer.getInteger("outages.documents", 5_000);

  private OutageRun run;

  @BeforeAll
  void start(@TempDir Path tmp) throws Exception {
    run =
        OutageRun.prepare(
            tmp,
            "outages",
            DOCUMENTS,
            8,
            Map.of("CONVEYOR_PG_STATEMENT_TIMEOUT", "10s", "CONVEYOR_PG_LOCK_TIMEOUT", "5s"));
    run.startAll();
    run.startProducer();
    run.awaitFlowing(50);
  }

  @AfterAll
  void stop() {
    if (run != null) {
      run.report();
      run.close();
    }
  }

  @Test
  @Order(1)
  void postgresStoppedForTwoMinutesUnderLoad() throws Exception {
    run.outage("postgres stopped", "postgres", OUTAGE, run.postgresStopped(), RESUME_WITHIN);
  }

  @Test
  @Order(2)
  void redisKilledAndBackFromItsAofAfterTwoMinutesUnderLoad() throws Exception {
    run.outage("redis killed", "redis", OUTAGE, run.redisKilled(), RESUME_WITHIN);
  }

  @Test
  @Order(3)
  void postgresHalfOpenForLongerThanEveryTimeoutUnderLoad() throws Exception {
    run.outage("postgres half-open", "postgres", HALF_OPEN, run.postgresHalfOpen(), RESUME_WITHIN);
  }

  @Test
  @Order(4)
  void everyMessageIsDeliveredOnceAndNothingDied() throws Exception {
    run.stopProducer();
    run.awaitAllAudited(Duration.ofMinutes(3).plus(OUTAGE));
    run.assertEveryMessageDeliveredOnce();
  }
}
