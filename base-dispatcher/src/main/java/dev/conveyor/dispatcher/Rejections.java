package dev.conveyor.dispatcher;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conveyor.common.json.SafeText;
import dev.conveyor.common.json.StoredJson;
import dev.conveyor.common.redis.Keys;
import dev.conveyor.common.redis.StreamMessage;
import dev.conveyor.runtime.ledger.TaskEvents;
import dev.conveyor.runtime.records.RejectedMessageRepository;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;

/**
 * Stores a rejected inbox entry with every field as received, in a form PostgreSQL always takes, so
 * that no entry can block the intake by what it holds:
 *
 * <ul>
 *   <li>a value that is UTF-8 text without U+0000 is a JSON string; any other value is {@code
 *       {"base64": "..."}} of its exact bytes (jsonb holds no U+0000, and other bytes may not be
 *       text);
 *   <li>a field name that is not UTF-8 or holds U+0000 is {@code base64:<its bytes>}; a name longer
 *       than {@value #MAX_NAME_BYTES} bytes is {@code truncated:<sha256 of it>};
 *   <li>values are stored whole up to the entry limit ({@code CONVEYOR_MAX_ENTRY_BYTES}, names and
 *       values together, in order); beyond it a value is {@code {"truncated": true, "bytes": N,
 *       "sha256": "...", "head": "<its first KiB>"}} (or {@code "head_base64"} when not text);
 *   <li>at most {@code CONVEYOR_MAX_ENTRY_FIELDS} fields are stored, the first ones; the detail
 *       says how many were left out.
 * </ul>
 *
 * An entry within the limits is thus stored whole and can be replayed; one over them keeps enough
 * to be recognised (sizes and hashes).
 */
public final class Rejections {
  /** Longer field names are stored as {@code truncated:<sha256>}. */
  static final int MAX_NAME_BYTES = 1024;

  /** Bytes of a truncated value kept as its head. */
  static final int HEAD_BYTES = 1024;

  private static final ObjectMapper JSON = new ObjectMapper();

  private final RejectedMessageRepository repository;
  private final long maxBytes;
  private final int maxFields;
  private final TaskEvents events;

  /**
   * @param maxBytes names and values stored whole, in all ({@code CONVEYOR_MAX_ENTRY_BYTES})
   * @param maxFields fields stored ({@code CONVEYOR_MAX_ENTRY_FIELDS})
   */
  public Rejections(
      RejectedMessageRepository repository, long maxBytes, int maxFields, TaskEvents events) {
    this.repository = repository;
    this.maxBytes = maxBytes;
    this.maxFields = maxFields;
    this.events = events;
  }

  /** Without task events. */
  public Rejections(RejectedMessageRepository repository, long maxBytes, int maxFields) {
    this(repository, maxBytes, maxFields, TaskEvents.off());
  }

  /**
   * Stores the entry (once per stream entry, whatever the number of passes) and, when this call
   * stored it, writes a {@code rejected} task event.
   */
  public void store(StreamMessage entry, Verdict.Rejected verdict) {
    int fields = entry.fields().size();
    String detail =
        fields > maxFields
            ? verdict.detail()
                + " (the first "
                + maxFields
                + " of "
                + fields
                + " fields are stored)"
            : verdict.detail();
    boolean stored =
        repository.insert(
            entry.id(),
            entry.contentSha256(),
            verdict.reason().code(),
            detail,
            fieldsJson(entry, maxBytes, maxFields));
    if (stored) {
      events.rejected(
          meantTaskId(entry).orElse(null),
          entry.id(),
          entry.strictText("pipeline").orElse(null),
          verdict.reason().code(),
          verdict.detail(),
          Instant.now());
    }
  }

  /**
   * The task id the producer meant: its {@code id} field when that is a task id, the stream id when
   * it gave none, empty when it gave one that is not a task id (the event then has no task).
   */
  static Optional<String> meantTaskId(StreamMessage entry) {
    if (!entry.fields().containsKey("id")) {
      return Optional.of(entry.id());
    }
    return entry.strictText("id").filter(id -> Keys.TASK_ID.matcher(id).matches());
  }

  /** The entry's fields as stored: see the class comment. */
  static String fieldsJson(StreamMessage entry, long maxBytes, int maxFields) {
    ObjectNode fields = JSON.createObjectNode();
    long budget = maxBytes;
    int stored = 0;
    for (Map.Entry<String, byte[]> f : entry.fields().entrySet()) {
      if (stored++ == maxFields) {
        break;
      }
      String name = storedName(f.getKey());
      byte[] value = f.getValue();
      budget -= name.length();
      if (value.length > budget) {
        fields.set(name, truncated(value));
        continue;
      }
      budget -= value.length;
      Optional<String> text = StreamMessage.strictUtf8(value);
      if (text.isPresent() && text.get().indexOf('\u0000') < 0) {
        fields.put(name, text.get());
      } else {
        // why: PostgreSQL's jsonb cannot hold U+0000, and other bytes may not be text at all
        fields.putObject(name).put("base64", Base64.getEncoder().encodeToString(value));
      }
    }
    return fields.toString();
  }

  /** A field name as stored: itself, {@code base64:<bytes>} or {@code truncated:<sha256>}. */
  static String storedName(String name) {
    byte[] bytes = nameBytes(name);
    if (bytes.length > MAX_NAME_BYTES) {
      return "truncated:" + StoredJson.sha256(bytes);
    }
    if (name.indexOf('\u0000') >= 0) {
      return "base64:" + Base64.getEncoder().encodeToString(bytes);
    }
    return name;
  }

  /** The name's bytes as received (names that are not UTF-8 arrive as {@code base64:...}). */
  private static byte[] nameBytes(String name) {
    if (name.startsWith("base64:")) {
      try {
        return Base64.getDecoder().decode(name.substring("base64:".length()));
      } catch (IllegalArgumentException e) {
        // a UTF-8 name that only looks like one: its own bytes
      }
    }
    return name.getBytes(StandardCharsets.UTF_8);
  }

  private static ObjectNode truncated(byte[] value) {
    ObjectNode t = JSON.createObjectNode();
    t.put("truncated", true);
    t.put("bytes", value.length);
    t.put("sha256", StoredJson.sha256(value));
    byte[] head = Arrays.copyOf(value, Math.min(value.length, HEAD_BYTES));
    Optional<String> text = StreamMessage.strictUtf8(trimToCharBoundary(head, value.length));
    if (text.isPresent()) {
      t.put("head", SafeText.escaped(text.get()));
    } else {
      t.put("head_base64", Base64.getEncoder().encodeToString(head));
    }
    return t;
  }

  /** The head without a UTF-8 character cut in two at its end (when it was cut). */
  private static byte[] trimToCharBoundary(byte[] head, int whole) {
    if (head.length == whole) {
      return head;
    }
    int end = head.length;
    int back = 0;
    while (end > 0 && back < 3 && (head[end - 1] & 0xC0) == 0x80) {
      end--;
      back++;
    }
    if (end > 0 && (head[end - 1] & 0xC0) == 0xC0) {
      end--;
    }
    return Arrays.copyOf(head, end);
  }
}
