package dev.conveyor.dispatcher;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conveyor.common.db.RejectedMessageRepository;
import dev.conveyor.common.redis.StreamMessage;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;

/**
 * Stores a rejected inbox entry whole: every field as received, binary-safe. A value that is valid
 * UTF-8 is stored as a JSON string; any other value as {@code {"base64": "..."}}, so no byte is
 * lost and nothing throws.
 */
public final class Rejections {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final RejectedMessageRepository repository;

  public Rejections(RejectedMessageRepository repository) {
    this.repository = repository;
  }

  /** Stores the entry (once per stream entry, whatever the number of passes). */
  public void store(StreamMessage entry, Verdict.Rejected verdict) {
    repository.insert(entry.id(), verdict.reason().code(), verdict.detail(), fieldsJson(entry));
  }

  static String fieldsJson(StreamMessage entry) {
    ObjectNode fields = JSON.createObjectNode();
    for (Map.Entry<String, byte[]> f : entry.fields().entrySet()) {
      String text = utf8OrNull(f.getValue());
      if (text != null && text.indexOf('\u0000') < 0) {
        fields.put(f.getKey(), text);
      } else {
        // why: PostgreSQL's jsonb cannot hold U+0000, and other bytes may not be text at all
        fields
            .putObject(f.getKey())
            .put("base64", Base64.getEncoder().encodeToString(f.getValue()));
      }
    }
    return fields.toString();
  }

  private static String utf8OrNull(byte[] value) {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(value))
          .toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }
}
