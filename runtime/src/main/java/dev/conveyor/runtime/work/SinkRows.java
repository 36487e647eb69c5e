package dev.conveyor.runtime.work;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conveyor.common.json.ExactJson;
import dev.conveyor.runtime.ledger.QueueItem;

/**
 * How a sink turns an item's input into rows, the same in the processor and in the embedded run: a
 * JSON object is one row, an array (or an object's {@code rows} array) is many. The columns the
 * sink fills are always set by it, whatever the row holds: {@code task_id} to the item's task, and
 * {@code part} to the item's part for a part-scope item (a task-scope item has no part of its own,
 * so there the row's {@code part} is kept). Neither a producer nor a step can thus give a row
 * another task's key, which {@code ON CONFLICT DO NOTHING} would silently drop. Numbers are read
 * exactly.
 */
public final class SinkRows {
  private static final ObjectMapper JSON = ExactJson.mapper();

  private SinkRows() {}

  /**
   * @throws IllegalArgumentException when the input is not JSON or not rows
   */
  public static ArrayNode rows(String input, QueueItem item, boolean fillTaskId, boolean fillPart) {
    JsonNode tree;
    try {
      tree = ExactJson.read(input);
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
      if (fillTaskId) {
        o.put("task_id", item.taskId());
      }
      if (fillPart && item.part() != QueueItem.TASK) {
        o.put("part", item.part());
      }
    }
    return rows;
  }
}
