package dev.conveyor.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conveyor.e2e.FaultRun.Topology;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two dispatchers, three processors and two patrols against one Redis and one PostgreSQL, running
 * the {@code ner} pipeline with two shards per step (ten chains). Every replica takes a share of
 * the work; no step shard ever executes on two processors at once (sampled from Quartz's fired
 * triggers all through the run); then one replica of each daemon is killed with SIGKILL and stays
 * down — a processor, a dispatcher, and the patrol that holds the lease — and the survivors finish
 * the run: every message exactly one {@code delivered} audit row, the rows equal to the embedded
 * run's, the Redis namespace back to its baseline.
 */
class ReplicasIT {
  private static final int DOCUMENTS = 2_000;
  private static final List<String> PROCESSORS =
      List.of("processor-1", "processor-2", "processor-3");

  @Test
  void replicasShareTheWorkAndKillingAnyOfThemLosesNothing(@TempDir Path tmp) throws Exception {
    try (FaultRun run =
        FaultRun.prepare(tmp, "replicas", DOCUMENTS, 20, new Topology(2, 3, 2, 2))) {
      List<Map<String, Object>> expected = run.expectedRows();
      run.startAll();
      run.watchShardsRunOnceAtATime();
      run.warmUpAndTakeBaseline();

      run.publishInBackground();
      await("every processor and both dispatchers did some of the work")
          .atMost(Duration.ofMinutes(2))
          .pollInterval(Duration.ofMillis(500))
          .ignoreExceptions()
          .until(() -> {
            for (String p : PROCESSORS) {
              if (run.counter(p, "conveyor_processor_items_total") == 0) {
                return false;
              }
            }
            return run.counter("dispatcher-1", "conveyor_dispatcher_tasks_dispatched_total") > 0
                && run.counter("dispatcher-2", "conveyor_dispatcher_tasks_dispatched_total") > 0;
          });
      String firstPatrol = run.leaseHolder();

      run.at(0.25, "kill -9 processor-1, for good", () -> run.killForGood("processor-1"));
      run.at(0.45, "kill -9 dispatcher-1, for good", () -> run.killForGood("dispatcher-1"));
      run.at(
          0.60,
          "kill -9 " + firstPatrol + " (holds the lease), for good",
          () -> run.killForGood(firstPatrol));
      run.awaitPublished();

      run.awaitAllDeliveredAndCleaned(Duration.ofMinutes(5));
      String otherPatrol = firstPatrol.equals("patrol-1") ? "patrol-2" : "patrol-1";
      assertThat(run.leaseHolder())
          .as("the lease moved to the surviving patrol")
          .isEqualTo(otherPatrol);
      assertThat(run.logged(otherPatrol, "lease_taken")).isPositive();
      run.assertExactlyOnceDeliveredAuditRowPerMessage();
      assertThat(run.rows()).as("rows against the embedded run").isEqualTo(expected);
      run.assertKeysBackToBaseline();
      run.assertNoShardRanOnTwoReplicasAtOnce();
      run.assertDaemonsHealthyAndNothingLost();
      run.report();
    }
  }
}
