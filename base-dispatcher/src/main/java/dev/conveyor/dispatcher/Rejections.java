package dev.conveyor.dispatcher;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conveyor.common.db.RejectedMessageRepository;
import dev.conveyor.common.redis.StreamMessage;
import java.util.Base64;
import java.util.Map;

/**
 * Stores a rejected inbox entry whole: every field as received, binary-safe. A value that is valid
 * UTF-8 is stored as a JSON string; any other value as {@code {"base64": "..."}}, so no byte is
 * lost and nothing throws. PostgreSQL cannot hold U+0000 in text or jsonb, so it is written as the
 * six characters <code>&#92;u0000</code> in field names and in the detail.
 */
public final class Rejections {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final RejectedMessageRepository repository;

  public Rejections(RejectedMessageRepository repository) {
    this.repository = repository;
  }

  /** Stores the entry (once per stream entry, whatever the number of passes). */
  public void store(StreamMessage entry, Verdict.Rejected verdict) {
    // why: the detail may quote what the producer sent; a U+0000 in it would fail the insert on
    // every retry, and the entry would block the intake for good
    repository.insert(
        entry.id(), verdict.reason().code(), withoutNul(verdict.detail()), fieldsJson(entry));
  }

  static String fieldsJson(StreamMessage entry) {
    ObjectNode fields = JSON.createObjectNode();
    for (Map.Entry<String, byte[]> f : entry.fields().entrySet()) {
      String name = withoutNul(f.getKey());
      String text = StreamMessage.strictUtf8(f.getValue()).orElse(null);
      if (text != null && text.indexOf('\u0000') < 0) {
        fields.put(name, text);
      } else {
        // why: PostgreSQL's jsonb cannot hold U+0000, and other bytes may not be text at all
        fields.putObject(name).put("base64", Base64.getEncoder().encodeToString(f.getValue()));
      }
    }
    return fields.toString();
  }

  static String withoutNul(String text) {
    return text == null ? null : text.replace("\u0000", "\\u0000");
  }
}
