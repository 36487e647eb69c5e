package dev.conveyor.common.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class LifecycleHookFailureTest {

  private CapturedLog log;

  @BeforeEach
  void captureLog() {
    log = new CapturedLog(RecordingSystem.class);
  }

  @AfterEach
  void releaseLog() {
    log.close();
  }

  @Test
  void aFailingPrepareDisablesTheSystemWithTheMessageAndThrowsNothing() {
    RecordingSystem redis =
        new RecordingSystem("redis")
            .failingOn(Transition.ACTIVATE, new IllegalStateException("CONVEYOR_REDIS_URL unset"));

    redis.activate();

    assertThat(redis.state()).isEqualTo(State.DISABLED);
    assertThat(redis.reason()).contains("CONVEYOR_REDIS_URL unset");
  }

  @Test
  void aFailingPrepareIsExpectedSoItLogsNoStackTrace() {
    RecordingSystem redis =
        new RecordingSystem("redis")
            .failingOn(Transition.ACTIVATE, new IllegalStateException("CONVEYOR_REDIS_URL unset"));

    redis.activate();

    assertThat(log.events())
        .singleElement()
        .satisfies(event -> {
          assertThat(event.getLevel()).isEqualTo(Level.WARN);
          assertThat(event.getThrowableProxy()).isNull();
          assertThat(CapturedLog.keyValues(event))
              .containsEntry("state", "DISABLED")
              .containsEntry("reason", "CONVEYOR_REDIS_URL unset");
        });
  }

  @Test
  void aFailureWithoutMessageIsNamedByItsType() {
    RecordingSystem redis =
        new RecordingSystem("redis").failingOn(Transition.ACTIVATE, new NullPointerException());

    redis.activate();

    assertThat(redis.reason()).contains("NullPointerException");
  }

  @Test
  void aFailingStartTerminatesTheSystemAndThrowsTheFailureWrapped() {
    IOException refused = new IOException("connection refused");
    RecordingSystem redis =
        Drive.into(State.READY, new RecordingSystem("redis").failingOn(Transition.START, refused));

    assertThatThrownBy(redis::start)
        .isInstanceOf(LifecycleException.class)
        .hasMessage("system=redis start failed: connection refused")
        .hasCause(refused);

    assertThat(redis.state()).isEqualTo(State.TERMINATED);
    assertThat(redis.reason()).contains("connection refused");
  }

  @Test
  void aFailingStartRunsTheTerminateHookToReleaseWhatWasAcquired() {
    RecordingSystem redis =
        Drive.into(
            State.READY,
            new RecordingSystem("redis")
                .failingOn(Transition.START, new IOException("connection refused")));

    assertThatThrownBy(redis::start).isInstanceOf(LifecycleException.class);

    assertThat(redis.journal()).containsExactly("redis.activate", "redis.start", "redis.terminate");
  }

  @Test
  void aFailingCompleteHookStillCompletesAndIsLoggedAtErrorWithItsStackTrace() {
    RecordingSystem pool =
        Drive.into(
            State.RUNNING,
            new RecordingSystem("pool")
                .failingOn(Transition.COMPLETE, new IllegalStateException("close timed out")));

    pool.complete();

    assertThat(pool.state()).isEqualTo(State.COMPLETED);
    assertThat(pool.reason()).contains("close timed out");
    assertThat(errorLines())
        .singleElement()
        .satisfies(event -> {
          assertThat(event.getThrowableProxy().getMessage()).isEqualTo("close timed out");
          assertThat(CapturedLog.keyValues(event))
              .containsEntry("event", "hook_failed")
              .containsEntry("system", "pool")
              .containsEntry("hook", "complete");
        });
  }

  @Test
  void aFailingTerminateHookStillTerminatesAndIsLoggedAtErrorWithItsStackTrace() {
    RecordingSystem pool =
        Drive.into(
            State.RUNNING,
            new RecordingSystem("pool")
                .failingOn(Transition.TERMINATE, new IllegalStateException("close timed out")));

    pool.terminate("operator");

    assertThat(pool.state()).isEqualTo(State.TERMINATED);
    assertThat(pool.reason()).contains("operator");
    assertThat(errorLines())
        .singleElement()
        .satisfies(event -> {
          assertThat(event.getThrowableProxy()).isNotNull();
          assertThat(CapturedLog.keyValues(event)).containsEntry("hook", "terminate");
        });
  }

  @Test
  void aFailingSuspendLeavesTheSystemRunningAndThrows() {
    RecordingSystem ner =
        Drive.into(
            State.RUNNING,
            new RecordingSystem("ner").failingOn(Transition.SUSPEND, new IOException("busy")));

    assertThatThrownBy(ner::suspend)
        .isInstanceOf(LifecycleException.class)
        .hasMessage("system=ner suspend failed: busy");

    assertThat(ner.state()).isEqualTo(State.RUNNING);
  }

  @Test
  void aFailingResumeLeavesTheSystemIntermittedAndThrows() {
    RecordingSystem ner =
        Drive.into(
            State.INTERMITTED,
            new RecordingSystem("ner").failingOn(Transition.RESUME, new IOException("busy")));

    assertThatThrownBy(ner::resume)
        .isInstanceOf(LifecycleException.class)
        .hasMessage("system=ner resume failed: busy");

    assertThat(ner.state()).isEqualTo(State.INTERMITTED);
  }

  @Test
  void aFailingEnableLeavesTheSystemDisabledWithItsReasonAndThrows() {
    RecordingSystem ner =
        new RecordingSystem("ner")
            .failingOn(Transition.ENABLE, new IOException("model file still missing"));
    ner.disable("model file missing");

    assertThatThrownBy(ner::enable)
        .isInstanceOf(LifecycleException.class)
        .hasMessage("system=ner enable failed: model file still missing");

    assertThat(ner.state()).isEqualTo(State.DISABLED);
    assertThat(ner.reason()).contains("model file missing");
  }

  @Test
  void anInterruptedHookKeepsTheThreadInterrupted() {
    RecordingSystem redis =
        Drive.into(
            State.READY,
            new RecordingSystem("redis")
                .failingOn(Transition.START, new InterruptedException("stopping")));

    try {
      assertThatThrownBy(redis::start).isInstanceOf(LifecycleException.class);
      assertThat(Thread.currentThread().isInterrupted()).isTrue();
    } finally {
      Thread.interrupted();
    }
  }

  private List<ILoggingEvent> errorLines() {
    return log.events().stream().filter(event -> event.getLevel() == Level.ERROR).toList();
  }
}
