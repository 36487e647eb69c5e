package dev.conveyor.common.step.run;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conveyor.common.task.QueueItem;

/**
 * How a sink turns an item's input into rows, the same in the processor and in the embedded run: a
 * JSON object is one row, an array (or an object's {@code rows} array) is many; {@code task_id} and
 * {@code part} are filled in when asked and the row lacks them.
 */
public final class SinkRows {
  private static final ObjectMapper JSON = new ObjectMapper();

  private SinkRows() {}

  /**
   * @throws IllegalArgumentException when the input is not JSON or not rows
   */
  public static ArrayNode rows(String input, QueueItem item, boolean fillTaskId, boolean fillPart) {
    JsonNode tree;
    try {
      tree = JSON.readTree(input);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("sink input is not JSON: " + e.getOriginalMessage());
    }
    ArrayNode rows = JSON.createArrayNode();
    if (tree.isArray()) {
      tree.forEach(rows::add);
    } else if (tree.isObject() && tree.path("rows").isArray()) {
      tree.get("rows").forEach(rows::add);
    } else if (tree.isObject()) {
      rows.add(tree);
    } else {
      throw new IllegalArgumentException("sink input must be a JSON object or an array of objects");
    }
    for (JsonNode row : rows) {
      if (!(row instanceof ObjectNode o)) {
        throw new IllegalArgumentException("every sink row must be a JSON object");
      }
      if (fillTaskId && !o.has("task_id")) {
        o.put("task_id", item.taskId());
      }
      if (fillPart && !o.has("part") && item.part() != QueueItem.TASK) {
        o.put("part", item.part());
      }
    }
    return rows;
  }
}
