package dev.conveyor.runtime.work.command;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RestartBackoffTest {
  private final RestartBackoff backoff =
      new RestartBackoff(Duration.ofMillis(100), Duration.ofMillis(500));

  @Test
  void aNewWorkerMayStartAtOnce() {
    assertThat(backoff.nanosLeft()).isLessThanOrEqualTo(0);
  }

  @Test
  void eachDeathDoublesTheDelayUpToTheMaximum() {
    assertThat(backoff.schedule()).isEqualTo(Duration.ofMillis(100));
    assertThat(backoff.schedule()).isEqualTo(Duration.ofMillis(200));
    assertThat(backoff.schedule()).isEqualTo(Duration.ofMillis(400));
    assertThat(backoff.schedule()).isEqualTo(Duration.ofMillis(500));
    assertThat(backoff.schedule()).isEqualTo(Duration.ofMillis(500));
  }

  @Test
  void theRestartIsDueTheDelayAfterTheDeath() {
    Duration delay = backoff.schedule();

    assertThat(backoff.nanosLeft()).isPositive().isLessThanOrEqualTo(delay.toNanos());
  }

  @Test
  void anAnswerResetsTheDelay() {
    backoff.schedule();
    backoff.schedule();

    backoff.reset();

    assertThat(backoff.schedule()).isEqualTo(Duration.ofMillis(100));
  }
}
