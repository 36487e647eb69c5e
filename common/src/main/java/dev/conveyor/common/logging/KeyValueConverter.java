package dev.conveyor.common.logging;

import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import java.util.List;
import org.slf4j.event.KeyValuePair;

/**
 * The body of a text log line: the event's key-value pairs as {@code key=value} in the order they
 * were added, then {@code msg=...} if the event also has a message. An event without key-value
 * pairs (third-party libraries) prints its message as it is, with line breaks escaped. Registered
 * in {@code logback.xml} as {@code %kv}.
 */
public final class KeyValueConverter extends ClassicConverter {

  @Override
  public String convert(ILoggingEvent event) {
    List<KeyValuePair> pairs = event.getKeyValuePairs();
    String message = event.getFormattedMessage();
    if (pairs == null || pairs.isEmpty()) {
      return Quoting.oneLine(message);
    }
    var line = new StringBuilder(64);
    for (KeyValuePair pair : pairs) {
      if (!line.isEmpty()) {
        line.append(' ');
      }
      line.append(Quoting.key(pair.key))
          .append('=')
          .append(Quoting.value(String.valueOf(pair.value)));
    }
    if (message != null && !message.isEmpty()) {
      line.append(" msg=").append(Quoting.value(message));
    }
    return line.toString();
  }
}
