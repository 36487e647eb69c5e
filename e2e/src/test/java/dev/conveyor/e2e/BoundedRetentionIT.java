package dev.conveyor.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The short version of the bounded-state soak ({@link BoundedStateSoak}): 90 seconds of the real
 * trio with every retention cut to seconds and 5% of the parts dying; Redis's keys and the rows of
 * {@code task_audit}, {@code dead_items}, {@code task_snapshots} and {@code rejected_messages} stay
 * flat after a 30-second warm-up, while thousands of messages go through.
 */
@WithServices
class BoundedRetentionIT {
  @Test
  void withEveryRetentionInSecondsRedisKeysAndRowCountsStayFlat(
      TestServices services, @TempDir Path dir) throws Exception {
    try (BoundedRun run = BoundedRun.start(services, dir, "bounded-retention")) {
      run.publishAndSample(30, Duration.ofSeconds(90), Duration.ofSeconds(5));
      run.report("bounded-retention-it", Duration.ofSeconds(30));

      run.assertFlat(Duration.ofSeconds(30), 0.5, 20);
      assertThat(run.samples().getLast().published()).isGreaterThan(2_000);
      assertThat(run.samples().getLast().values().get("task_audit"))
          .as("audit rows kept, against messages published")
          .isLessThan(run.samples().getLast().published() / 2);
      long snapshots =
          run.samples().stream().mapToLong(s -> s.values().get("task_snapshots")).max().orElse(0);
      assertThat(snapshots).as("held tasks were released with a snapshot").isPositive();
      run.stopAndCheckLogs();
    }
  }
}
