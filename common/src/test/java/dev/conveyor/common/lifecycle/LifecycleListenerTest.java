package dev.conveyor.common.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class LifecycleListenerTest {

  private record Change(String system, State from, State to, String reason) {}

  private final List<Change> changes = new CopyOnWriteArrayList<>();

  @Test
  void listenersHearEveryTransitionWithSystemFromToAndReason() {
    RecordingSystem system = new RecordingSystem("ner");
    system.addListener((name, from, to, reason) -> changes.add(new Change(name, from, to, reason)));

    system.disable("model file missing");
    system.enable();
    system.start();
    system.suspend();
    system.resume();
    system.terminate("operator");

    assertThat(changes)
        .containsExactly(
            new Change("ner", State.INITIAL, State.DISABLED, "model file missing"),
            new Change("ner", State.DISABLED, State.READY, null),
            new Change("ner", State.READY, State.RUNNING, null),
            new Change("ner", State.RUNNING, State.INTERMITTED, null),
            new Change("ner", State.INTERMITTED, State.RUNNING, null),
            new Change("ner", State.RUNNING, State.TERMINATED, "operator"));
  }

  @Test
  void listenersHearNothingOfARefusedTransition() {
    RecordingSystem system = new RecordingSystem("ner");
    system.addListener((name, from, to, reason) -> changes.add(new Change(name, from, to, reason)));

    assertThatThrownBy(system::start).isInstanceOf(IllegalTransitionException.class);

    assertThat(changes).isEmpty();
  }

  @Test
  void listenersHearNothingOfAFailedSuspend() {
    RecordingSystem system =
        Drive.into(
            State.RUNNING,
            new RecordingSystem("ner")
                .failingOn(Transition.SUSPEND, new IllegalStateException("busy")));
    system.addListener((name, from, to, reason) -> changes.add(new Change(name, from, to, reason)));

    assertThatThrownBy(system::suspend).isInstanceOf(LifecycleException.class);

    assertThat(changes).isEmpty();
  }

  @Test
  void aFailingListenerNeitherUndoesTheTransitionNorSilencesTheOthers() {
    RecordingSystem system = new RecordingSystem("ner");
    system.addListener((name, from, to, reason) -> {
      throw new IllegalStateException("metrics down");
    });
    system.addListener((name, from, to, reason) -> changes.add(new Change(name, from, to, reason)));

    try (CapturedLog log = new CapturedLog(RecordingSystem.class)) {
      system.activate();

      assertThat(system.state()).isEqualTo(State.READY);
      assertThat(changes).containsExactly(new Change("ner", State.INITIAL, State.READY, null));
      assertThat(log.events())
          .extracting(event -> CapturedLog.keyValues(event).get("event"))
          .containsExactly("state", "listener_failed");
    }
  }
}
