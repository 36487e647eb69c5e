package dev.conveyor.common.redis;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * One stream entry as read, binary-safe: field names as text, values as the bytes Redis holds, in
 * the order they were written.
 */
public record StreamMessage(String id, Map<String, byte[]> fields) {

  public StreamMessage {
    fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
  }

  /** The field decoded as UTF-8, if present. */
  public Optional<String> text(String field) {
    byte[] value = fields.get(field);
    return value == null
        ? Optional.empty()
        : Optional.of(new String(value, StandardCharsets.UTF_8));
  }

  /** Milliseconds part of the entry id: when Redis appended it. */
  public long timestampMillis() {
    int dash = id.indexOf('-');
    return Long.parseLong(dash < 0 ? id : id.substring(0, dash));
  }
}
