package dev.conveyor.runtime.resource;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.LoggerFactory;
import org.slf4j.event.KeyValuePair;

/** Captures the key-values of what {@link SharedResources} logs while open. */
final class ResourceLog implements AutoCloseable {
  private final Logger logger = (Logger) LoggerFactory.getLogger(SharedResources.class);
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

  ResourceLog() {
    appender.start();
    logger.addAppender(appender);
  }

  /** The key-values of every event logged so far, in order. */
  List<Map<String, Object>> events() {
    synchronized (appender) {
      return appender.list.stream().map(ResourceLog::keyValues).toList();
    }
  }

  /** The events whose {@code event} key is {@code name}. */
  List<Map<String, Object>> events(String name) {
    return events().stream().filter(e -> name.equals(e.get("event"))).toList();
  }

  private static Map<String, Object> keyValues(ILoggingEvent event) {
    Map<String, Object> pairs = new LinkedHashMap<>();
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
