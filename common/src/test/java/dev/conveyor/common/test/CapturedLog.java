package dev.conveyor.common.test;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.LoggerFactory;
import org.slf4j.event.KeyValuePair;

/** Captures the key-value events one logger writes while open (tests of every module). */
public final class CapturedLog implements AutoCloseable {
  private final Logger logger;
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

  public CapturedLog(Class<?> owner) {
    this.logger = (Logger) LoggerFactory.getLogger(owner);
    appender.start();
    logger.addAppender(appender);
  }

  /**
   * Each event's pairs, in logging order; the level and thread under {@code level} and {@code
   * thread}.
   */
  public List<Map<String, Object>> events() {
    List<ILoggingEvent> copy;
    synchronized (appender) {
      copy = List.copyOf(appender.list);
    }
    return copy.stream().map(CapturedLog::pairs).toList();
  }

  /** The events named {@code event}. */
  public List<Map<String, Object>> events(String event) {
    return events().stream().filter(e -> event.equals(e.get("event"))).toList();
  }

  private static Map<String, Object> pairs(ILoggingEvent event) {
    Map<String, Object> pairs = new LinkedHashMap<>();
    pairs.put("level", event.getLevel().toString());
    pairs.put("thread", event.getThreadName());
    List<KeyValuePair> logged = event.getKeyValuePairs();
    for (KeyValuePair pair : logged == null ? List.<KeyValuePair>of() : logged) {
      pairs.put(pair.key, pair.value);
    }
    return pairs;
  }

  @Override
  public void close() {
    logger.detachAppender(appender);
    appender.stop();
  }
}
