package dev.conveyor.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bounded-state soak, not run in CI: {@code deploy/bin/soak bounded} (or {@code -Psoak
 * -Dit.test=BoundedStateSoak}). {@code soak.minutes} (default 10) of the real trio at {@code
 * soak.rate} messages a second (default 40) with every retention cut to seconds and 5% of the parts
 * dying: Redis's keys and PostgreSQL's rows must stay flat after the first two minutes. The samples
 * go to {@code e2e/target/soak/bounded-state.md}.
 */
@WithServices
class BoundedStateSoak {
  @Test
  void withEveryRetentionInSecondsNothingGrowsForMinutes(TestServices services, @TempDir Path dir)
      throws Exception {
    Duration length = Duration.ofMinutes(Integer.getInteger("soak.minutes", 10));
    int rate = Integer.getInteger("soak.rate", 40);
    try (BoundedRun run = BoundedRun.start(services, dir, "bounded-state")) {
      run.publishAndSample(rate, length, Duration.ofSeconds(15));
      run.report("bounded-state", Duration.ofMinutes(2));

      run.assertFlat(Duration.ofMinutes(2), 0.25, 20);
      assertThat(run.samples().getLast().values().get("task_audit"))
          .isLessThan(run.samples().getLast().published() / 10);
      run.stopAndCheckLogs();
    }
  }
}
