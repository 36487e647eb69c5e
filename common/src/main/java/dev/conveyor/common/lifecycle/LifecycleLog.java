package dev.conveyor.common.lifecycle;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;
import org.slf4j.spi.LoggingEventBuilder;

/** The log lines of a lifecycle: one per transition, plus the unexpected failures. */
final class LifecycleLog {
  private static final long PID = ProcessHandle.current().pid();

  private final Logger log;

  LifecycleLog(Class<?> owner) {
    this.log = LoggerFactory.getLogger(owner);
  }

  void state(String system, State state, String reason) {
    Level level = state == State.DISABLED || state == State.TERMINATED ? Level.WARN : Level.INFO;
    LoggingEventBuilder line =
        log.atLevel(level)
            .addKeyValue("event", "state")
            .addKeyValue("system", system)
            .addKeyValue("pid", PID)
            .addKeyValue("state", state.name());
    if (reason != null) {
      line.addKeyValue("reason", reason);
    }
    line.log();
  }

  void hookFailed(String system, Transition transition, Exception failure) {
    log.atError()
        .setCause(failure)
        .addKeyValue("event", "hook_failed")
        .addKeyValue("system", system)
        .addKeyValue("hook", transition.verb())
        .addKeyValue("error", Lifecycle.reasonOf(failure))
        .log();
  }

  void listenerFailed(String system, RuntimeException failure) {
    log.atError()
        .setCause(failure)
        .addKeyValue("event", "listener_failed")
        .addKeyValue("system", system)
        .addKeyValue("error", Lifecycle.reasonOf(failure))
        .log();
  }
}
