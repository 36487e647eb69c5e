package dev.conveyor.common.lifecycle;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.LoggerFactory;
import org.slf4j.event.KeyValuePair;

/** Captures what one logger writes while open. */
final class CapturedLog implements AutoCloseable {
  private final Logger logger;
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

  CapturedLog(Class<?> owner) {
    this.logger = (Logger) LoggerFactory.getLogger(owner);
    appender.start();
    logger.addAppender(appender);
  }

  List<ILoggingEvent> events() {
    return List.copyOf(appender.list);
  }

  static Map<String, Object> keyValues(ILoggingEvent event) {
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
