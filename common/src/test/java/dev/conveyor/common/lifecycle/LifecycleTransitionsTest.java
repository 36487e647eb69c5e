package dev.conveyor.common.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class LifecycleTransitionsTest {

  @Test
  void aNewSystemIsInitialWithoutReason() {
    RecordingSystem system = new RecordingSystem("redis");

    assertThat(system.name()).isEqualTo("redis");
    assertThat(system.state()).isEqualTo(State.INITIAL);
    assertThat(system.reason()).isEmpty();
    assertThat(system.journal()).isEmpty();
  }

  @Test
  void activateRunsThePrepareHookAndMakesTheSystemReady() {
    RecordingSystem system = new RecordingSystem("redis");

    system.activate();

    assertThat(system.state()).isEqualTo(State.READY);
    assertThat(system.journal()).containsExactly("redis.activate");
  }

  @ParameterizedTest
  @EnumSource(
      value = State.class,
      names = {"INITIAL", "READY"})
  void disableRecordsTheReasonWithoutRunningAHook(State from) {
    RecordingSystem system = Drive.into(from, new RecordingSystem("ner"));
    system.journal().clear();

    system.disable("model file missing");

    assertThat(system.state()).isEqualTo(State.DISABLED);
    assertThat(system.reason()).contains("model file missing");
    assertThat(system.journal()).isEmpty();
  }

  @Test
  void enableRunsItsHookMakesTheSystemReadyAndClearsTheReason() {
    RecordingSystem system = new RecordingSystem("ner");
    system.disable("model file missing");

    system.enable();

    assertThat(system.state()).isEqualTo(State.READY);
    assertThat(system.reason()).isEmpty();
    assertThat(system.journal()).containsExactly("ner.enable");
  }

  @Test
  void startRunsTheStartHookAndMakesTheSystemRunning() {
    RecordingSystem system = Drive.into(State.READY, new RecordingSystem("http"));

    system.start();

    assertThat(system.state()).isEqualTo(State.RUNNING);
    assertThat(system.journal()).containsExactly("http.activate", "http.start");
  }

  @ParameterizedTest
  @EnumSource(
      value = State.class,
      names = {"RUNNING", "INTERMITTED"})
  void completeRunsTheCompleteHookAndIsFinal(State from) {
    RecordingSystem system = Drive.into(from, new RecordingSystem("scheduler"));
    system.journal().clear();

    system.complete();

    assertThat(system.state()).isEqualTo(State.COMPLETED);
    assertThat(system.state().isFinal()).isTrue();
    assertThat(system.reason()).isEmpty();
    assertThat(system.journal()).containsExactly("scheduler.complete");
  }

  @Test
  void suspendAndResumeRunTheirHooks() {
    RecordingSystem system = Drive.into(State.RUNNING, new RecordingSystem("ner"));
    system.journal().clear();

    system.suspend();
    assertThat(system.state()).isEqualTo(State.INTERMITTED);

    system.resume();
    assertThat(system.state()).isEqualTo(State.RUNNING);
    assertThat(system.journal()).containsExactly("ner.suspend", "ner.resume");
  }

  @ParameterizedTest
  @EnumSource(
      value = State.class,
      names = {"COMPLETED", "TERMINATED"},
      mode = EnumSource.Mode.EXCLUDE)
  void terminateRunsTheTerminateHookAndRecordsTheReason(State from) {
    RecordingSystem system = Drive.into(from, new RecordingSystem("pool"));
    system.journal().clear();

    system.terminate("operator killed it");

    assertThat(system.state()).isEqualTo(State.TERMINATED);
    assertThat(system.reason()).contains("operator killed it");
    assertThat(system.journal()).containsExactly("pool.terminate");
  }

  @ParameterizedTest
  @EnumSource(State.class)
  void aSystemIsHealthyOnlyWhileRunningOrIntermitted(State state) {
    RecordingSystem system = Drive.into(state, new RecordingSystem("pool"));

    assertThat(system.isHealthy()).isEqualTo(state == State.RUNNING || state == State.INTERMITTED);
  }
}
