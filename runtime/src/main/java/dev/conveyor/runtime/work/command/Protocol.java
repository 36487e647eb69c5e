package dev.conveyor.runtime.work.command;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conveyor.runtime.work.WorkItem;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

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

  /** The {@code seq} of an answer that carries none (every answer of the one-item form). */
  static final long NO_SEQ = -1;

  /** What the program answered to one request, or said of itself. */
  sealed interface Answer {
    /**
     * {@code {"ok": true, "data": ...}}: the data as compact JSON.
     *
     * @param seq the answer's {@code seq}, {@link #NO_SEQ} if it has none
     */
    record Ok(String data, long seq) implements Answer {
      Ok(String data) {
        this(data, NO_SEQ);
      }
    }

    /** {@code {"ok": false, "error": "..."}}. */
    record Error(String message, long seq) implements Answer {
      Error(String message) {
        this(message, NO_SEQ);
      }
    }

    /**
     * {@code {"hello": {"batch": true}}}: the program's first line, saying it takes batches.
     *
     * @param batches whether it takes {@code {"batch": [...]}} requests
     */
    record Hello(boolean batches) implements Answer {}

    /** Anything else: the stream may be out of step with the requests. */
    record Invalid(String problem) implements Answer {}
  }

  /**
   * The request line for {@code w}, with its newline.
   *
   * @throws IllegalArgumentException if the item's input is not JSON
   */
  static byte[] request(WorkItem w) {
    return line(requestNode(w));
  }

  /**
   * The request line for a batch, with its newline: {@code {"batch": [item, ...]}}, each item a
   * request object of {@link #requestNode} with its {@code seq} set.
   */
  static byte[] batch(List<ObjectNode> items) {
    ObjectNode request = JSON.createObjectNode();
    request.putArray("batch").addAll(items);
    return line(request);
  }

  /**
   * The request object for {@code w}: {@code {"task_id": ..., "part": ..., "input": ...}}.
   *
   * @throws IllegalArgumentException if the item's input is not JSON
   */
  static ObjectNode requestNode(WorkItem w) {
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
    return request;
  }

  /** {@code request} as a line, with its newline. */
  static byte[] line(ObjectNode request) {
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
    if (response != null
        && response.isObject()
        && response.has("hello")
        && !response.has("ok")
        && response.get("hello").isObject()) {
      return new Answer.Hello(response.get("hello").path("batch").asBoolean(false));
    }
    if (response == null || !response.isObject() || !response.path("ok").isBoolean()) {
      return invalid(line);
    }
    long seq = NO_SEQ;
    JsonNode seqNode = response.get("seq");
    if (seqNode != null) {
      if (!seqNode.canConvertToExactIntegral()
          || !seqNode.canConvertToLong()
          || seqNode.asLong() < 0) {
        return new Answer.Invalid(
            "answered " + shown(line) + " whose \"seq\" is not a whole number >= 0");
      }
      seq = seqNode.asLong();
    }
    if (response.get("ok").booleanValue()) {
      JsonNode data = response.get("data");
      return data == null
          ? new Answer.Error("the program answered ok without \"data\"", seq)
          : new Answer.Ok(data.toString(), seq);
    }
    JsonNode error = response.get("error");
    if (error == null || error.isNull()) {
      return new Answer.Error("the program reported a failure without an error message", seq);
    }
    return new Answer.Error(error.isTextual() ? error.textValue() : error.toString(), seq);
  }

  /** The step's options as the JSON text of {@code CONVEYOR_STEP_OPTIONS}. */
  static String options(Map<String, Object> options) {
    try {
      return JSON.writeValueAsString(options);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("options cannot be written as JSON: " + e.getMessage(), e);
    }
  }

  /**
   * The text of {@code CONVEYOR_RESOURCES}: {@code {"<name>": {"path": "/abs/file", "size": n}}}.
   *
   * @throws IOException if a file cannot be read (its size is what a process maps)
   */
  static String resources(Map<String, Path> files) throws IOException {
    ObjectNode all = JSON.createObjectNode();
    for (var e : new TreeMap<>(files).entrySet()) {
      Path file = e.getValue().toAbsolutePath().normalize();
      if (!Files.isReadable(file) || !Files.isRegularFile(file)) {
        throw new IOException("resource '" + e.getKey() + "': cannot read " + file);
      }
      all.putObject(e.getKey()).put("path", file.toString()).put("size", Files.size(file));
    }
    try {
      return JSON.writeValueAsString(all);
    } catch (JsonProcessingException ex) {
      throw new IllegalStateException(ex);
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
