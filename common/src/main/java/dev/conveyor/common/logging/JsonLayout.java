package dev.conveyor.common.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.LayoutBase;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.util.List;
import java.util.Set;
import org.slf4j.event.KeyValuePair;

/**
 * One JSON object per line: {@code ts}, {@code level}, {@code thread}, {@code logger}, then the
 * key-value pairs as top-level fields in order (numbers and booleans stay JSON numbers and
 * booleans), then {@code msg} if the event has a message and {@code error} (the stack trace) if it
 * has a throwable. A key that collides with a field the event writes is written as {@code
 * kv_<key>}: always for {@code ts}, {@code level}, {@code thread} and {@code logger}; for {@code
 * msg} and {@code error} only when the event has a message or a throwable.
 */
public final class JsonLayout extends LayoutBase<ILoggingEvent> {
  static final DateTimeFormatter TIMESTAMP =
      new DateTimeFormatterBuilder().appendInstant(3).toFormatter();
  private static final Set<String> ALWAYS_WRITTEN = Set.of("ts", "level", "thread", "logger");

  private final JsonFactory factory = JsonFactory.builder().build();

  @Override
  public String doLayout(ILoggingEvent event) {
    var out = new StringWriter(256);
    try (JsonGenerator json = factory.createGenerator(out)) {
      json.writeStartObject();
      json.writeStringField("ts", TIMESTAMP.format(event.getInstant()));
      json.writeStringField("level", event.getLevel().toString());
      json.writeStringField("thread", event.getThreadName());
      json.writeStringField("logger", simpleName(event.getLoggerName()));
      String message = event.getFormattedMessage();
      boolean hasMessage = message != null && !message.isEmpty();
      IThrowableProxy throwable = event.getThrowableProxy();
      writePairs(json, event.getKeyValuePairs(), hasMessage, throwable != null);
      if (hasMessage) {
        json.writeStringField("msg", message);
      }
      if (throwable != null) {
        json.writeStringField("error", ThrowableProxyUtil.asString(throwable));
      }
      json.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write a log event as JSON", e); // a StringWriter
    }
    return out.append('\n').toString();
  }

  @Override
  public String getContentType() {
    return "application/x-ndjson";
  }

  // why: error= is the usual key for an expected failure ("timeout after PT30S"); it keeps its
  // name unless the event also carries a stack trace for the error field.
  private static void writePairs(
      JsonGenerator json, List<KeyValuePair> pairs, boolean hasMessage, boolean hasThrowable)
      throws IOException {
    if (pairs == null) {
      return;
    }
    for (KeyValuePair pair : pairs) {
      String key = pair.key == null || pair.key.isEmpty() ? "_" : pair.key;
      boolean taken =
          ALWAYS_WRITTEN.contains(key)
              || (hasMessage && key.equals("msg"))
              || (hasThrowable && key.equals("error"));
      json.writeFieldName(taken ? "kv_" + key : key);
      writeValue(json, pair.value);
    }
  }

  private static void writeValue(JsonGenerator json, Object value) throws IOException {
    switch (value) {
      case null -> json.writeNull();
      case Boolean b -> json.writeBoolean(b);
      case Integer i -> json.writeNumber(i);
      case Long l -> json.writeNumber(l);
      case Short s -> json.writeNumber(s);
      case Byte b -> json.writeNumber(b);
      case Double d -> json.writeNumber(d);
      case Float f -> json.writeNumber(f);
      case BigDecimal d -> json.writeNumber(d);
      case BigInteger i -> json.writeNumber(i);
      case Number n -> writeOtherNumber(json, n);
      default -> json.writeString(String.valueOf(value));
    }
  }

  // why: AtomicLong, LongAdder and friends print as plain numbers; anything odder stays a string
  // rather than risk writing invalid JSON.
  private static void writeOtherNumber(JsonGenerator json, Number number) throws IOException {
    String text = number.toString();
    try {
      json.writeNumber(new BigDecimal(text));
    } catch (NumberFormatException e) {
      json.writeString(text);
    }
  }

  private static String simpleName(String loggerName) {
    return loggerName == null ? "" : loggerName.substring(loggerName.lastIndexOf('.') + 1);
  }
}
