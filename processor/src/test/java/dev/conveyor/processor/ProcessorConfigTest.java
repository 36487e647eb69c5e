package dev.conveyor.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.conveyor.common.config.ConfigException;
import dev.conveyor.common.config.Env;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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

  @Test
  void aNodeIsTakenForDeadAfterThreeSilentSecondsByDefault(@TempDir Path pipelines) {
    ProcessorConfig config = ProcessorConfig.from(env(pipelines, Map.of()));

    assertThat(config.clusterCheckin()).isEqualTo(Duration.ofSeconds(1));
    assertThat(config.clusterFailedAfter()).isEqualTo(Duration.ofSeconds(3));
    assertThat(config.clusterFailureGrace()).isEqualTo(Duration.ofSeconds(2));
  }

  @Test
  void theFailureDetectionFollowsALongerCheckinUnlessSetItself(@TempDir Path pipelines) {
    ProcessorConfig slow =
        ProcessorConfig.from(env(pipelines, Map.of("CONVEYOR_CLUSTER_CHECKIN", "5s")));
    ProcessorConfig set =
        ProcessorConfig.from(
            env(
                pipelines,
                Map.of("CONVEYOR_CLUSTER_CHECKIN", "2s", "CONVEYOR_CLUSTER_FAILED_AFTER", "10s")));

    assertThat(slow.clusterFailedAfter()).isEqualTo(Duration.ofSeconds(15));
    assertThat(set.clusterFailureGrace()).isEqualTo(Duration.ofSeconds(8));
  }

  @Test
  void aNodeIsNeverTakenForDeadForOneLateCheckin(@TempDir Path pipelines) {
    assertThatThrownBy(() ->
            ProcessorConfig.from(
                env(
                    pipelines,
                    Map.of(
                        "CONVEYOR_CLUSTER_CHECKIN", "2s", "CONVEYOR_CLUSTER_FAILED_AFTER", "3s"))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("CONVEYOR_CLUSTER_FAILED_AFTER must be at least twice");
  }

  private static Env env(Path pipelines, Map<String, String> vars) {
    Map<String, String> all = new HashMap<>(vars);
    all.put("CONVEYOR_PIPELINES", pipelines.toString());
    return Env.of(all);
  }
}
