package dev.conveyor.runtime.work.command;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conveyor.runtime.work.WorkItem;
import java.util.Map;

/**
 * The JSON lines that Conveyor and a command step's program exchange. What Conveyor writes is ASCII
 * (other characters are escaped as {@code \}{@code uXXXX}), so the program's stdin encoding never
 * matters; what it reads must be UTF-8.
 */
final class Protocol {
  // why: exact numbers: a step's output passes through unchanged, however long its decimals
  private static final JsonMapper JSON =
      JsonMapper.builder()
          .enable(JsonWriteFeature.ESCAPE_NON_ASCII)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .build();
  private static final int SHOWN_CHARS = 200;

  private Protocol() {}

  /** What the program answered to one request. */
  sealed interface Answer {
    /** {@code {"ok": true, "data": ...}}: the data as compact JSON. */
    record Ok(String data) implements Answer {}

    /** {@code {"ok": false, "error": "..."}}. */
    record Error(String message) implements Answer {}

    /** Anything else: the stream may be out of step with the requests. */
    record Invalid(String problem) implements Answer {}
  }

  /**
   * The request line for {@code w}, with its newline.
   *
   * @throws IllegalArgumentException if the item's input is not JSON
   */
  static byte[] request(WorkItem w) {
    JsonNode input;
    try {
      input = JSON.readTree(w.input());
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("input is not JSON: " + e.getOriginalMessage());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("input holds a number out of range: " + e.getMessage());
    }
    if (input == null || input.isMissingNode()) {
      throw new IllegalArgumentException("input is empty");
    }
    ObjectNode request = JSON.createObjectNode();
    request.put("task_id", w.item().taskId());
    request.put("part", w.item().part());
    request.set("input", input);
    try {
      byte[] json = JSON.writeValueAsBytes(request);
      byte[] line = new byte[json.length + 1];
      System.arraycopy(json, 0, line, 0, json.length);
      line[json.length] = '\n';
      return line;
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("input cannot be written as JSON: " + e.getMessage(), e);
    }
  }

  /** The answer a response line carries. */
  static Answer answer(String line) {
    JsonNode response;
    try {
      response = JSON.readTree(line);
    } catch (JsonProcessingException e) {
      return invalid(line);
    } catch (NumberFormatException e) {
      // why: valid JSON, in step with the requests, but a number no BigDecimal holds
      // (1e99999999999)
      return new Answer.Error("the program answered a number out of range: " + e.getMessage());
    }
    if (response == null || !response.isObject() || !response.path("ok").isBoolean()) {
      return invalid(line);
    }
    if (response.get("ok").booleanValue()) {
      JsonNode data = response.get("data");
      return data == null
          ? new Answer.Error("the program answered ok without \"data\"")
          : new Answer.Ok(data.toString());
    }
    JsonNode error = response.get("error");
    if (error == null || error.isNull()) {
      return new Answer.Error("the program reported a failure without an error message");
    }
    return new Answer.Error(error.isTextual() ? error.textValue() : error.toString());
  }

  /** The step's options as the JSON text of {@code CONVEYOR_STEP_OPTIONS}. */
  static String options(Map<String, Object> options) {
    try {
      return JSON.writeValueAsString(options);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("options cannot be written as JSON: " + e.getMessage(), e);
    }
  }

  /** {@code text} in double quotes, shortened for an error message. */
  static String shown(String text) {
    String s = text.length() > SHOWN_CHARS ? text.substring(0, SHOWN_CHARS) + "..." : text;
    return '"' + s + '"';
  }

  private static Answer invalid(String line) {
    return new Answer.Invalid(
        "answered "
            + shown(line)
            + " which is not a protocol line (one JSON object with a boolean \"ok\" per request;"
            + " logs belong on stderr)");
  }
}
