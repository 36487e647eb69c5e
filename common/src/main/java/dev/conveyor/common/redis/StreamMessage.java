package dev.conveyor.common.redis;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collections;
import java.util.HexFormat;
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

  /** The field as text if it is valid UTF-8; empty if absent or not UTF-8 (never replaced). */
  public Optional<String> strictText(String field) {
    byte[] value = fields.get(field);
    return value == null ? Optional.empty() : strictUtf8(value);
  }

  /** The bytes as text if they are valid UTF-8, else empty. */
  public static Optional<String> strictUtf8(byte[] value) {
    try {
      return Optional.of(
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(value))
              .toString());
    } catch (CharacterCodingException e) {
      return Optional.empty();
    }
  }

  /**
   * SHA-256 (hex) of the entry's content: each field name and value in order, each preceded by its
   * length, so that different fields never hash alike. With the id it tells a second pass over an
   * entry from another entry that has the same id.
   */
  public String contentSha256() {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
    for (Map.Entry<String, byte[]> f : fields.entrySet()) {
      byte[] name = f.getKey().getBytes(StandardCharsets.UTF_8);
      digest.update(ByteBuffer.allocate(4).putInt(name.length).array());
      digest.update(name);
      digest.update(ByteBuffer.allocate(4).putInt(f.getValue().length).array());
      digest.update(f.getValue());
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  /** Milliseconds part of the entry id: when Redis appended it. */
  public long timestampMillis() {
    int dash = id.indexOf('-');
    return Long.parseLong(dash < 0 ? id : id.substring(0, dash));
  }
}
