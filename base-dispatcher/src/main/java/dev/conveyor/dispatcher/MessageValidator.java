package dev.conveyor.dispatcher;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conveyor.common.pipeline.Pipelines;
import dev.conveyor.common.redis.Keys;
import dev.conveyor.common.redis.StreamMessage;
import java.time.Instant;
import java.util.Optional;

/**
 * Checks an inbox entry against the inbound message contract: fields {@code pipeline} (a loaded
 * pipeline), {@code payload} (a JSON object within the size and nesting limits) and optional {@code
 * id}. Never throws on input, whatever its bytes.
 */
public final class MessageValidator {
  /** Deeper JSON is rejected: nothing legitimate nests this far, and parsers must stay safe. */
  public static final int MAX_NESTING = 64;

  private final Pipelines pipelines;
  private final int maxPayloadBytes;
  private final ObjectMapper json;

  public MessageValidator(Pipelines pipelines, int maxPayloadBytes) {
    this.pipelines = pipelines;
    this.maxPayloadBytes = maxPayloadBytes;
    this.json =
        new ObjectMapper(
                JsonFactory.builder()
                    .streamReadConstraints(
                        StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING).build())
                    .build())
            // why: '{"a":1} x' is not a JSON object; without this the tail would be dropped
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
  }

  public Verdict check(StreamMessage entry) {
    if (entry.fields().isEmpty()) {
      return rejected(RejectReason.NO_FIELDS, "the entry has no fields");
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
    JsonNode tree;
    try {
      tree = json.readTree(payload);
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
    } catch (java.io.IOException e) {
      return rejected(RejectReason.PAYLOAD_NOT_JSON, firstLine(e.getMessage()));
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
    return new Verdict.Accepted(
        new InboundMessage(
            entry.id(),
            taskId,
            pipeline.get(),
            object,
            Instant.ofEpochMilli(entry.timestampMillis())));
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
