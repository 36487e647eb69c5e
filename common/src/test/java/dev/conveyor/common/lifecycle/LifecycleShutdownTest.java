package dev.conveyor.common.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class LifecycleShutdownTest {

  @ParameterizedTest
  @EnumSource(
      value = State.class,
      names = {"RUNNING", "INTERMITTED"})
  void shutdownCompletesASystemThatRan(State from) {
    RecordingSystem system = Drive.into(from, new RecordingSystem("processor"));
    system.journal().clear();

    system.shutdown();

    assertThat(system.state()).isEqualTo(State.COMPLETED);
    assertThat(system.journal()).containsExactly("processor.complete");
  }

  @ParameterizedTest
  @EnumSource(
      value = State.class,
      names = {"INITIAL", "READY", "DISABLED"})
  void shutdownTerminatesASystemThatNeverRan(State from) {
    RecordingSystem system = Drive.into(from, new RecordingSystem("processor"));
    system.journal().clear();

    system.shutdown();

    assertThat(system.state()).isEqualTo(State.TERMINATED);
    assertThat(system.reason()).contains("shutdown");
    assertThat(system.journal()).containsExactly("processor.terminate");
  }

  @ParameterizedTest
  @EnumSource(
      value = State.class,
      names = {"COMPLETED", "TERMINATED"})
  void shutdownLeavesAFinalSystemAlone(State from) {
    RecordingSystem system = Drive.into(from, new RecordingSystem("processor"));
    List<String> hooksBefore = new ArrayList<>(system.journal());

    system.shutdown();

    assertThat(system.state()).isEqualTo(from);
    assertThat(system.journal()).isEqualTo(hooksBefore);
  }

  @Test
  void shutdownTwiceIsHarmless() {
    RecordingSystem system = Drive.into(State.RUNNING, new RecordingSystem("processor"));

    try (CapturedLog log = new CapturedLog(RecordingSystem.class)) {
      system.shutdown();
      system.shutdown();

      assertThat(system.state()).isEqualTo(State.COMPLETED);
      assertThat(system.journal())
          .containsExactly("processor.activate", "processor.start", "processor.complete");
      assertThat(log.events()).hasSize(1);
    }
  }
}
