package dev.conveyor.common.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class LifecycleLoggingTest {

  private static final long PID = ProcessHandle.current().pid();

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
  void eachTransitionWritesExactlyOneStateLine() {
    RecordingSystem system = new RecordingSystem("processor");

    system.activate();
    system.start();
    system.suspend();
    system.resume();
    system.complete();

    assertThat(log.events())
        .extracting(event -> CapturedLog.keyValues(event).get("state"))
        .containsExactly("READY", "RUNNING", "INTERMITTED", "RUNNING", "COMPLETED");
    assertThat(log.events())
        .allSatisfy(event -> assertThat(event.getLevel()).isEqualTo(Level.INFO));
  }

  @Test
  void aStateLineCarriesEventSystemPidAndStateInThatOrder() {
    new RecordingSystem("processor").activate();

    assertThat(log.events())
        .singleElement()
        .satisfies(event ->
            assertThat(CapturedLog.keyValues(event))
                .containsExactly(
                    Map.entry("event", "state"),
                    Map.entry("system", "processor"),
                    Map.entry("pid", PID),
                    Map.entry("state", "READY")));
  }

  @Test
  void disabledIsLoggedAtWarnWithTheReason() {
    new RecordingSystem("ner").disable("model file missing");

    assertThat(onlyLine().getLevel()).isEqualTo(Level.WARN);
    assertThat(CapturedLog.keyValues(onlyLine()))
        .containsEntry("state", "DISABLED")
        .containsEntry("reason", "model file missing");
  }

  @Test
  void terminatedIsLoggedAtWarnWithTheReason() {
    new RecordingSystem("ner").terminate("operator");

    assertThat(onlyLine().getLevel()).isEqualTo(Level.WARN);
    assertThat(CapturedLog.keyValues(onlyLine()))
        .containsEntry("state", "TERMINATED")
        .containsEntry("reason", "operator");
  }

  @Test
  void aRefusedTransitionLogsNothing() {
    RecordingSystem system = new RecordingSystem("ner");

    assertThatThrownBy(system::complete).isInstanceOf(IllegalTransitionException.class);

    assertThat(log.events()).isEmpty();
  }

  @Test
  void theLoggerIsTheConcreteClass() {
    new RecordingSystem("ner").activate();

    assertThat(onlyLine().getLoggerName()).isEqualTo(RecordingSystem.class.getName());
  }

  private ILoggingEvent onlyLine() {
    assertThat(log.events()).hasSize(1);
    return log.events().getFirst();
  }
}
