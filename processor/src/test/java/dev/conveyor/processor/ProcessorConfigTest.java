package dev.conveyor.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ProcessorConfigTest {
  @Test
  void reloadCheckIsOffAtZeroAndOtherwiseAtLeastATenthOfASecond() {
    assertThat(ProcessorConfig.reloadCheck("0")).isZero();
    assertThat(ProcessorConfig.reloadCheck("0s")).isZero();
    assertThat(ProcessorConfig.reloadCheck("5s")).isEqualTo(Duration.ofSeconds(5));
    assertThat(ProcessorConfig.reloadCheck("100ms")).isEqualTo(Duration.ofMillis(100));
    assertThatThrownBy(() -> ProcessorConfig.reloadCheck("50ms"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("must be 0 (off) or a duration of at least 100ms like 5s");
    assertThatThrownBy(() -> ProcessorConfig.reloadCheck("soon"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
