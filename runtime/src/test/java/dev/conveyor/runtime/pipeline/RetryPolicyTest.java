package dev.conveyor.runtime.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {
  final RetryPolicy policy = new RetryPolicy(10, Duration.ofSeconds(1), Duration.ofSeconds(30));

  @Test
  void backoffDoublesAfterEachAttempt() {
    assertThat(policy.backoffFor(1)).isEqualTo(Duration.ofSeconds(1));
    assertThat(policy.backoffFor(2)).isEqualTo(Duration.ofSeconds(2));
    assertThat(policy.backoffFor(3)).isEqualTo(Duration.ofSeconds(4));
    assertThat(policy.backoffFor(5)).isEqualTo(Duration.ofSeconds(16));
  }

  @Test
  void backoffIsCappedAtTheMaximumEvenForHugeAttemptNumbers() {
    assertThat(policy.backoffFor(6)).isEqualTo(Duration.ofSeconds(30));
    assertThat(policy.backoffFor(63)).isEqualTo(Duration.ofSeconds(30));
    assertThat(policy.backoffFor(64)).isEqualTo(Duration.ofSeconds(30));
    assertThat(policy.backoffFor(Integer.MAX_VALUE)).isEqualTo(Duration.ofSeconds(30));
    var huge = new RetryPolicy(3, Duration.ofDays(365), Duration.ofDays(365 * 1000));
    assertThat(huge.backoffFor(60)).isEqualTo(Duration.ofDays(365 * 1000));
  }

  @Test
  void attemptNumbersStartAtOne() {
    assertThatThrownBy(() -> policy.backoffFor(0)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aPolicyRejectsInconsistentSettings() {
    assertThatThrownBy(() -> new RetryPolicy(0, Duration.ofSeconds(1), Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new RetryPolicy(1, Duration.ZERO, Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new RetryPolicy(1, Duration.ofSeconds(2), Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("must not exceed");
  }
}
