package dev.conveyor.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Guarantees 1 to 4 under real faults. 2,500 real documents go through the {@code ner} pipeline
 * ({@code deploy/pipelines/ner.yaml}, cleanup grace cut to 2 s so that cleanup runs in the middle
 * of the faults) on a Redis and a PostgreSQL of the test's own, while the processor is killed
 * twice, the dispatcher and the patrol once (SIGKILL, each restarted as {@code restart: always}
 * would), Redis is killed and comes back from its AOF <em>without its last second of writes</em>
 * (what a power cut leaves of an {@code appendfsync everysec} AOF), and PostgreSQL crashes and
 * restarts. The producer then sends every message again (a producer that cannot tell what Redis
 * kept must). Every message must end as exactly one {@code delivered} audit row, the rows must
 * equal the embedded run's exactly, and once patrol has cleaned up, the Redis namespace must hold
 * as many keys as before the load.
 */
class FaultsIT {
  private static final int DOCUMENTS = 2_500;

  @Test
  void everyMessageIsDeliveredOnceThroughKillsAndRestartsOfEveryPart(@TempDir Path tmp)
      throws Exception {
    try (FaultRun run = FaultRun.prepare(tmp, "faults", DOCUMENTS, 20)) {
      List<Map<String, Object>> expected = run.expectedRows();
      assertThat(expected)
          .as("the documents mention companies and people")
          .hasSizeGreaterThan(1000);
      run.startAll();
      run.warmUpAndTakeBaseline();

      run.publishInBackground();
      run.at(0.10, "kill -9 processor", run::restartProcessor);
      run.at(0.20, "kill -9 dispatcher", run::restartDispatcher);
      run.at(0.30, "kill -9 redis, its AOF without the last second", run::crashRedisLosingASecond);
      run.at(0.45, "kill -9 patrol", run::restartPatrol);
      run.at(0.55, "postgresql crash (stop -m immediate) and restart", run::crashPostgres);
      run.at(0.70, "kill -9 processor again", run::restartProcessor);
      run.awaitPublished();
      run.publishEverythingAgain();

      run.awaitAllDeliveredAndCleaned(Duration.ofMinutes(5));
      run.assertExactlyOnceDeliveredAuditRowPerMessage();
      assertThat(run.rows()).as("rows against the embedded run").isEqualTo(expected);
      run.assertKeysBackToBaseline();
      run.assertDaemonsHealthyAndNothingLost();
      run.report();
    }
  }
}
