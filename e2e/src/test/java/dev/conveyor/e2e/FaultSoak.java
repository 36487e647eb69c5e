package dev.conveyor.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The long version of {@link FaultsIT}, not run in CI: {@code deploy/bin/soak} (or {@code -Psoak}).
 * {@code soak.documents} real documents (default 10,000) through the {@code ner} pipeline while
 * {@code soak.faults} faults (default 20) hit in turn the processor, the dispatcher, Redis (its AOF
 * losing the last writes), the patrol and PostgreSQL, spread evenly over the run; then the same
 * checks as FaultsIT: one {@code delivered} audit row per message, the embedded run's rows exactly,
 * the Redis namespace back to its baseline.
 */
class FaultSoak {
  @Test
  void everyMessageIsDeliveredOnceThroughALoopOfFaults(@TempDir Path tmp) throws Exception {
    int documents = Integer.getInteger("soak.documents", 10_000);
    int faults = Integer.getInteger("soak.faults", 20);
    try (FaultRun run = FaultRun.prepare(tmp, "soak", documents, 20)) {
      List<Map<String, Object>> expected = run.expectedRows();
      run.startAll();
      run.warmUpAndTakeBaseline();
      run.publishInBackground();
      List<Fault> cycle =
          List.of(
              new Fault("kill -9 processor", run::restartProcessor),
              new Fault("kill -9 dispatcher", run::restartDispatcher),
              new Fault(
                  "kill -9 redis, its AOF without the last writes", run::crashRedisLosingASecond),
              new Fault("kill -9 processor", run::restartProcessor),
              new Fault("kill -9 patrol", run::restartPatrol),
              new Fault("postgresql crash and restart", run::crashPostgres));
      for (int i = 0; i < faults; i++) {
        Fault f = cycle.get(i % cycle.size());
        run.at(0.9 * (i + 1) / faults, f.name() + " (" + (i + 1) + "/" + faults + ")", f.action());
      }
      run.awaitPublished();
      run.publishEverythingAgain();

      run.awaitAllDeliveredAndCleaned(Duration.ofMinutes(30));
      run.assertExactlyOnceDeliveredAuditRowPerMessage();
      assertThat(run.rows()).as("rows against the embedded run").isEqualTo(expected);
      run.assertKeysBackToBaseline();
      run.assertDaemonsHealthyAndNothingLost();
      run.report();
    }
  }

  private record Fault(String name, FaultRun.FaultAction action) {}
}
