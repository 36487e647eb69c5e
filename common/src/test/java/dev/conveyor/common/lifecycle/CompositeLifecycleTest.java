package dev.conveyor.common.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class CompositeLifecycleTest {

  private final List<String> journal = new CopyOnWriteArrayList<>();
  private final RecordingComposite daemon = new RecordingComposite("daemon", journal);

  @Test
  void activationPreparesTheParentThenEveryChildInOrder() {
    daemon.add(child("redis"));
    daemon.add(child("pool"));
    daemon.add(child("http"));

    daemon.activate();

    assertThat(daemon.state()).isEqualTo(State.READY);
    assertThat(journal)
        .containsExactly("daemon.activate", "redis.activate", "pool.activate", "http.activate");
  }

  @Test
  void aDisabledRequiredChildDisablesTheParentWithItsReason() {
    RecordingSystem redis = daemon.add(child("redis"));
    RecordingSystem pool = daemon.add(disabledOnActivate("pool", "CONVEYOR_PG_URL unset"));
    RecordingSystem http = daemon.add(child("http"));

    daemon.activate();

    assertThat(daemon.state()).isEqualTo(State.DISABLED);
    assertThat(daemon.reason()).contains("subsystem pool disabled: CONVEYOR_PG_URL unset");
    assertThat(redis.state()).isEqualTo(State.READY);
    assertThat(pool.state()).isEqualTo(State.DISABLED);
    assertThat(http.state()).isEqualTo(State.READY);
  }

  @Test
  void aDisabledOptionalChildDoesNotBlockTheOthers() {
    RecordingSystem redis = daemon.add(child("redis"));
    RecordingSystem ner = daemon.addOptional(disabledOnActivate("ner", "model file missing"));
    RecordingSystem ocr = daemon.addOptional(child("ocr"));

    daemon.activate();
    daemon.start();

    assertThat(daemon.state()).isEqualTo(State.RUNNING);
    assertThat(redis.state()).isEqualTo(State.RUNNING);
    assertThat(ner.state()).isEqualTo(State.DISABLED);
    assertThat(ner.reason()).contains("model file missing");
    assertThat(ocr.state()).isEqualTo(State.RUNNING);
  }

  @Test
  void childrenStartInOrderBeforeTheParentAndCompleteInReverseAfterIt() {
    daemon.add(child("redis"));
    daemon.add(child("pool"));
    daemon.add(child("http"));
    daemon.activate();
    journal.clear();

    daemon.start();
    daemon.complete();

    assertThat(journal)
        .containsExactly(
            "redis.start",
            "pool.start",
            "http.start",
            "daemon.start",
            "daemon.complete",
            "http.complete",
            "pool.complete",
            "redis.complete");
  }

  @Test
  void completeTerminatesTheChildrenThatNeverRan() {
    RecordingSystem redis = daemon.add(child("redis"));
    RecordingSystem ner = daemon.addOptional(disabledOnActivate("ner", "model file missing"));
    daemon.activate();
    daemon.start();

    daemon.complete();

    assertThat(daemon.state()).isEqualTo(State.COMPLETED);
    assertThat(redis.state()).isEqualTo(State.COMPLETED);
    assertThat(ner.state()).isEqualTo(State.TERMINATED);
    assertThat(ner.reason()).contains("parent daemon completed");
  }

  @Test
  void completeClosesEveryChildEvenWhenTheParentHookFails() {
    daemon.failingOn(Transition.COMPLETE, new IllegalStateException("drain timed out"));
    RecordingSystem redis = daemon.add(child("redis"));
    daemon.activate();
    daemon.start();

    try (CapturedLog log = new CapturedLog(RecordingComposite.class)) {
      daemon.complete();

      assertThat(log.events()).anySatisfy(e -> assertThat(e.getLevel()).isEqualTo(Level.ERROR));
    }
    assertThat(daemon.state()).isEqualTo(State.COMPLETED);
    assertThat(redis.state()).isEqualTo(State.COMPLETED);
  }

  @Test
  void aChildFailingToStartTerminatesTheStartedOnesInReverse() {
    RecordingSystem redis = daemon.add(child("redis"));
    RecordingSystem pool = daemon.add(child("pool"));
    RecordingSystem http =
        daemon.add(child("http").failingOn(Transition.START, new IOException("port 8080 in use")));
    RecordingSystem audit = daemon.add(child("audit"));
    daemon.activate();
    journal.clear();

    assertThatThrownBy(daemon::start)
        .isInstanceOf(LifecycleException.class)
        .hasMessage("system=daemon start failed: subsystem http failed to start: port 8080 in use")
        .hasRootCauseMessage("port 8080 in use");

    assertThat(journal)
        .containsExactly(
            "redis.start",
            "pool.start",
            "http.start",
            "http.terminate",
            "daemon.terminate",
            "audit.terminate",
            "pool.terminate",
            "redis.terminate");
    assertThat(daemon.state()).isEqualTo(State.TERMINATED);
    assertThat(daemon.reason()).contains("subsystem http failed to start: port 8080 in use");
    assertThat(List.of(redis, pool, http, audit))
        .allSatisfy(child -> assertThat(child.state()).isEqualTo(State.TERMINATED));
  }

  @Test
  void theParentFailingToStartTerminatesItsStartedChildren() {
    daemon.failingOn(Transition.START, new IOException("scheduler refused"));
    RecordingSystem redis = daemon.add(child("redis"));
    daemon.activate();

    assertThatThrownBy(daemon::start).isInstanceOf(LifecycleException.class);

    assertThat(daemon.state()).isEqualTo(State.TERMINATED);
    assertThat(redis.state()).isEqualTo(State.TERMINATED);
  }

  @Test
  void suspendAndResumeReachTheChildrenInTheRightState() {
    RecordingSystem redis = daemon.add(child("redis"));
    RecordingSystem ner = daemon.add(child("ner"));
    RecordingSystem ocr = daemon.addOptional(disabledOnActivate("ocr", "no model"));
    daemon.activate();
    daemon.start();
    journal.clear();

    daemon.suspend();

    assertThat(daemon.state()).isEqualTo(State.INTERMITTED);
    assertThat(redis.state()).isEqualTo(State.INTERMITTED);
    assertThat(ner.state()).isEqualTo(State.INTERMITTED);
    assertThat(ocr.state()).isEqualTo(State.DISABLED);

    daemon.resume();

    assertThat(daemon.state()).isEqualTo(State.RUNNING);
    assertThat(redis.state()).isEqualTo(State.RUNNING);
    assertThat(ner.state()).isEqualTo(State.RUNNING);
    assertThat(journal)
        .containsExactly(
            "daemon.suspend",
            "ner.suspend",
            "redis.suspend",
            "daemon.resume",
            "redis.resume",
            "ner.resume");
  }

  @Test
  void aChildFailingToSuspendLeavesTheParentRunningAfterTryingTheOthers() {
    RecordingSystem redis = daemon.add(child("redis"));
    daemon.add(child("ner").failingOn(Transition.SUSPEND, new IllegalStateException("busy")));
    daemon.activate();
    daemon.start();

    assertThatThrownBy(daemon::suspend)
        .isInstanceOf(LifecycleException.class)
        .hasMessage("system=daemon suspend failed: system=ner suspend failed: busy");

    assertThat(daemon.state()).isEqualTo(State.RUNNING);
    assertThat(redis.state()).isEqualTo(State.INTERMITTED);
  }

  @Test
  void terminateClosesEveryChildNotYetClosedInReverse() {
    RecordingSystem redis = daemon.add(child("redis"));
    RecordingSystem pool = daemon.add(child("pool"));
    daemon.activate();
    daemon.start();
    pool.complete();
    journal.clear();

    daemon.terminate("operator");

    assertThat(journal).containsExactly("daemon.terminate", "redis.terminate");
    assertThat(redis.state()).isEqualTo(State.TERMINATED);
    assertThat(redis.reason()).contains("parent daemon terminated");
    assertThat(pool.state()).isEqualTo(State.COMPLETED);
  }

  @Test
  void shutdownOfADisabledParentClosesItsReadyChildren() {
    RecordingSystem redis = daemon.add(child("redis"));
    RecordingSystem pool = daemon.add(disabledOnActivate("pool", "CONVEYOR_PG_URL unset"));
    daemon.activate();

    daemon.shutdown();

    assertThat(daemon.state()).isEqualTo(State.TERMINATED);
    assertThat(redis.state()).isEqualTo(State.TERMINATED);
    assertThat(pool.state()).isEqualTo(State.TERMINATED);
  }

  @Test
  void shutdownTwiceIsHarmless() {
    daemon.add(child("redis"));
    daemon.activate();
    daemon.start();
    journal.clear();

    daemon.shutdown();
    daemon.shutdown();

    assertThat(journal).containsExactly("daemon.complete", "redis.complete");
    assertThat(daemon.state()).isEqualTo(State.COMPLETED);
  }

  @Test
  void enableEnablesTheDisabledChildrenThenTheParent() {
    RecordingSystem redis = daemon.add(disabledOnActivate("redis", "CONVEYOR_REDIS_URL unset"));
    daemon.activate();
    journal.clear();

    daemon.enable();

    assertThat(daemon.state()).isEqualTo(State.READY);
    assertThat(daemon.reason()).isEmpty();
    assertThat(redis.state()).isEqualTo(State.READY);
    assertThat(journal).containsExactly("redis.enable", "daemon.enable");
  }

  @Test
  void enableIsRefusedWhileARequiredChildStaysDisabled() {
    daemon.add(
        disabledOnActivate("redis", "CONVEYOR_REDIS_URL unset")
            .failingOn(Transition.ENABLE, new IllegalStateException("still unset")));
    daemon.activate();

    assertThatThrownBy(daemon::enable)
        .isInstanceOf(LifecycleException.class)
        .hasMessage(
            "system=daemon enable failed: subsystem redis disabled: CONVEYOR_REDIS_URL unset")
        .hasRootCauseMessage("still unset");

    assertThat(daemon.state()).isEqualTo(State.DISABLED);
    assertThat(journal).doesNotContain("daemon.enable");
  }

  @Test
  void enableIgnoresAnOptionalChildThatStaysDisabled() {
    RecordingSystem ner =
        daemon.addOptional(
            disabledOnActivate("ner", "model file missing")
                .failingOn(Transition.ENABLE, new IllegalStateException("still missing")));
    daemon.activate();
    daemon.disable("maintenance");

    daemon.enable();

    assertThat(daemon.state()).isEqualTo(State.READY);
    assertThat(ner.state()).isEqualTo(State.DISABLED);
    assertThat(journal).containsSubsequence("ner.enable", "daemon.enable");
  }

  @Test
  void aDisabledRequiredChildMakesTheParentRefuseToStart() {
    RecordingSystem redis = daemon.add(child("redis"));
    daemon.activate();
    redis.disable("operator");

    assertThatThrownBy(daemon::start)
        .isInstanceOf(LifecycleException.class)
        .hasMessageContaining("subsystem redis disabled: operator");

    assertThat(daemon.state()).isEqualTo(State.TERMINATED);
    assertThat(redis.state()).isEqualTo(State.TERMINATED);
  }

  @Test
  void childrenCanOnlyBeAddedBeforeActivation() {
    daemon.activate();

    assertThatThrownBy(() -> daemon.add(child("late")))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("system=daemon cannot add subsystem late when READY");
  }

  @Test
  void aChildCannotBeAddedTwiceNorToItself() {
    RecordingSystem redis = daemon.add(child("redis"));

    assertThatThrownBy(() -> daemon.addOptional(redis))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> daemon.add(daemon)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void eachChildLogsItsOwnStateLines() {
    daemon.add(child("redis"));

    try (CapturedLog parentLog = new CapturedLog(RecordingComposite.class);
        CapturedLog childLog = new CapturedLog(RecordingSystem.class)) {
      daemon.activate();

      assertThat(parentLog.events())
          .extracting(event -> CapturedLog.keyValues(event).get("system"))
          .containsExactly("daemon");
      assertThat(childLog.events())
          .extracting(event -> CapturedLog.keyValues(event).get("system"))
          .containsExactly("redis");
    }
  }

  private RecordingSystem child(String name) {
    return new RecordingSystem(name, journal);
  }

  private RecordingSystem disabledOnActivate(String name, String reason) {
    return child(name).failingOn(Transition.ACTIVATE, new IllegalStateException(reason));
  }
}
