package dev.conveyor.dispatcher;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conveyor.common.json.ExactJson;
import dev.conveyor.common.json.UnstorableContent;
import dev.conveyor.common.redis.Keys;
import dev.conveyor.common.redis.StreamMessage;
import dev.conveyor.runtime.pipeline.Pipelines;
import java.time.Instant;
import java.util.Optional;

/**
 * Checks an inbox entry against the inbound message contract: at most {@code maxEntryFields} fields
 * of at most {@code maxEntryBytes} in all, fields {@code pipeline} (a loaded pipeline), {@code
 * payload} (a JSON object within the size and nesting limits that PostgreSQL can store) and
 * optional {@code id}. Decides here, where it is cheap because the payload is parsed anyway, what
 * would fail later: U+0000 and lone surrogates in strings and keys, and numbers beyond PostgreSQL
 * numeric's range, are rejected with the JSON path in the detail. Numbers are read exactly, so the
 * parts keep them as sent. Never throws on input, whatever its bytes.
 */
public final class MessageValidator {
  /** Deeper JSON is rejected: nothing legitimate nests this far, and parsers must stay safe. */
  public static final int MAX_NESTING = 64;

  private final Pipelines pipelines;
  private final int maxPayloadBytes;
  private final long maxEntryBytes;
  private final int maxEntryFields;
  private final ObjectMapper json = ExactJson.mapper(MAX_NESTING);

  public MessageValidator(
      Pipelines pipelines, int maxPayloadBytes, long maxEntryBytes, int maxEntryFields) {
    this.pipelines = pipelines;
    this.maxPayloadBytes = maxPayloadBytes;
    this.maxEntryBytes = maxEntryBytes;
    this.maxEntryFields = maxEntryFields;
  }

  /** With the default entry limits: the payload limit plus 64 KiB, 64 fields. */
  public MessageValidator(Pipelines pipelines, int maxPayloadBytes) {
    this(
        pipelines,
        maxPayloadBytes,
        (long) maxPayloadBytes + DispatcherConfig.ENTRY_OVERHEAD_BYTES,
        DispatcherConfig.DEFAULT_MAX_ENTRY_FIELDS);
  }

  public Verdict check(StreamMessage entry) {
    if (entry.fields().isEmpty()) {
      return rejected(RejectReason.NO_FIELDS, "the entry has no fields");
    }
    if (entry.fields().size() > maxEntryFields) {
      return rejected(
          RejectReason.TOO_MANY_FIELDS,
          "the entry has " + entry.fields().size() + " fields, the limit is " + maxEntryFields);
    }
    long entryBytes = bytesOf(entry);
    if (entryBytes > maxEntryBytes) {
      return rejected(
          RejectReason.ENTRY_TOO_LARGE,
          "the entry's names and values are "
              + entryBytes
              + " bytes, the limit is "
              + maxEntryBytes);
    }
    Optional<String> pipelineName = entry.strictText("pipeline");
    if (pipelineName.isEmpty() || pipelineName.get().isBlank()) {
      return rejected(RejectReason.MISSING_PIPELINE, "field 'pipeline' is required");
    }
    var pipeline = pipelines.get(pipelineName.get());
    if (pipeline.isEmpty()) {
      return rejected(
          RejectReason.UNKNOWN_PIPELINE,
          "no pipeline '" + pipelineName.get() + "' is loaded (loaded: " + pipelines.names() + ")");
    }
    String taskId = entry.id();
    if (entry.fields().containsKey("id")) {
      Optional<String> id = entry.strictText("id");
      if (id.isEmpty() || !Keys.TASK_ID.matcher(id.get()).matches()) {
        return rejected(
            RejectReason.BAD_ID, "field 'id' must be 1-128 characters of A-Z a-z 0-9 . _ : -");
      }
      taskId = id.get();
    }
    byte[] payload = entry.fields().get("payload");
    if (payload == null) {
      return rejected(RejectReason.MISSING_PAYLOAD, "field 'payload' is required");
    }
    if (payload.length > maxPayloadBytes) {
      return rejected(
          RejectReason.PAYLOAD_TOO_LARGE,
          "payload is " + payload.length + " bytes, the limit is " + maxPayloadBytes);
    }
    Optional<String> text = StreamMessage.strictUtf8(payload);
    if (text.isEmpty()) {
      return rejected(RejectReason.PAYLOAD_NOT_JSON, "payload is not UTF-8 text (JSON must be)");
    }
    JsonNode tree;
    try {
      tree = json.readTree(text.get());
    } catch (StreamConstraintsException e) {
      // why: the parser reports all its limits with this one type; besides our nesting limit they
      // are size limits (a number or name too long to parse safely)
      if (isNestingLimit(e)) {
        return rejected(
            RejectReason.PAYLOAD_TOO_DEEP, "payload nests deeper than " + MAX_NESTING + " levels");
      }
      return rejected(RejectReason.PAYLOAD_TOO_LARGE, firstLine(e.getOriginalMessage()));
    } catch (JsonProcessingException e) {
      return rejected(RejectReason.PAYLOAD_NOT_JSON, firstLine(e.getOriginalMessage()));
    } catch (NumberFormatException e) {
      // why: read exactly, a number like 1e99999999999999 has an exponent no BigDecimal holds
      return rejected(
          RejectReason.PAYLOAD_NUMBER_OUT_OF_RANGE,
          "payload holds a number no decimal can hold: " + firstLine(e.getMessage()));
    }
    if (tree == null || tree.isMissingNode()) {
      return rejected(RejectReason.PAYLOAD_NOT_JSON, "payload is empty");
    }
    if (!(tree instanceof ObjectNode object)) {
      return rejected(
          RejectReason.PAYLOAD_NOT_OBJECT,
          "payload must be a JSON object, was "
              + tree.getNodeType().name().toLowerCase(java.util.Locale.ROOT));
    }
    Optional<UnstorableContent> unstorable = UnstorableContent.find(object);
    if (unstorable.isPresent()) {
      return rejected(
          reasonFor(unstorable.get().kind()),
          "payload holds " + unstorable.get().describe() + ", which PostgreSQL cannot store");
    }
    return new Verdict.Accepted(
        new InboundMessage(
            entry.id(),
            taskId,
            pipeline.get(),
            object,
            Instant.ofEpochMilli(entry.timestampMillis())));
  }

  private static RejectReason reasonFor(UnstorableContent.Kind kind) {
    return switch (kind) {
      case NUL -> RejectReason.PAYLOAD_HAS_NUL;
      case LONE_SURROGATE -> RejectReason.PAYLOAD_HAS_LONE_SURROGATE;
      case NUMBER_OUT_OF_RANGE -> RejectReason.PAYLOAD_NUMBER_OUT_OF_RANGE;
    };
  }

  /** Bytes of the entry's field names (as UTF-8) and values. */
  private static long bytesOf(StreamMessage entry) {
    long n = 0;
    for (var f : entry.fields().entrySet()) {
      n += f.getKey().length() + f.getValue().length;
    }
    return n;
  }

  private static boolean isNestingLimit(StreamConstraintsException e) {
    String message = e.getOriginalMessage();
    return message != null && message.contains("nesting depth");
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "not valid JSON";
    }
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }

  private static Verdict rejected(RejectReason reason, String detail) {
    return new Verdict.Rejected(reason, detail);
  }
}
