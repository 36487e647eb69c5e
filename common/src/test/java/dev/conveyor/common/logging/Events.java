package dev.conveyor.common.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import java.time.Instant;
import org.slf4j.event.KeyValuePair;

/** Builds logging events with a fixed time and thread, as the fluent SLF4J API would. */
final class Events {
  static final Instant TIME = Instant.parse("2026-03-01T10:15:02.114Z");

  private final LoggingEvent event;

  private Events(String logger, Level level, String message, Throwable cause) {
    var context = new LoggerContext();
    context.setMDCAdapter(new LogbackMDCAdapter());
    event =
        new LoggingEvent(
            Events.class.getName(), context.getLogger(logger), level, message, cause, null);
    event.setInstant(TIME);
    event.setThreadName("main");
  }

  static Events info(String logger) {
    return new Events(logger, Level.INFO, null, null);
  }

  static Events info(String logger, String message) {
    return new Events(logger, Level.INFO, message, null);
  }

  static Events error(String logger, String message, Throwable cause) {
    return new Events(logger, Level.ERROR, message, cause);
  }

  Events kv(String key, Object value) {
    event.addKeyValuePair(new KeyValuePair(key, value));
    return this;
  }

  LoggingEvent build() {
    return event;
  }
}
