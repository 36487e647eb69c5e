package dev.conveyor.cli.embedded;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.StepDef;
import dev.conveyor.runtime.pipeline.StepKind;
import dev.conveyor.runtime.work.ItemResult;
import dev.conveyor.runtime.work.SinkRows;
import dev.conveyor.runtime.work.WorkItem;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The rows the sinks of an {@link EmbeddedRun} would insert: mapped from the sink steps' items as
 * the processor maps them ({@link SinkRows}), kept in memory instead of written to PostgreSQL, and
 * given back sorted so that two runs compare line by line. With several sinks each row names its
 * sink in {@code _sink}.
 */
final class DeliveredRows {
  private final Pipeline pipeline;
  private final boolean severalSinks;
  private final List<ObjectNode> rows = new ArrayList<>();

  DeliveredRows(Pipeline pipeline) {
    this.pipeline = pipeline;
    this.severalSinks =
        pipeline.steps().stream().filter(s -> s.kind() == StepKind.SINK).count() > 1;
  }

  /**
   * The rows {@code sink} would insert for each item of the batch, kept; per item the number of its
   * rows, or why it has none.
   */
  List<ItemResult> deliver(StepDef sink, List<WorkItem> batch) {
    List<String> columns = sink.sink().columns();
    boolean fillTaskId = columns.isEmpty() || columns.contains("task_id");
    boolean fillPart = columns.isEmpty() || columns.contains("part");
    List<ItemResult> results = new ArrayList<>(batch.size());
    for (WorkItem w : batch) {
      try {
        var itemRows = SinkRows.rows(w.input(), w.item(), fillTaskId, fillPart);
        for (JsonNode row : itemRows) {
          ObjectNode o = (ObjectNode) row;
          if (!columns.isEmpty()) {
            o.retain(columns);
          }
          if (severalSinks) {
            o.put("_sink", sink.name());
          }
          rows.add(o);
        }
        results.add(new ItemResult.Output(Integer.toString(itemRows.size())));
      } catch (IllegalArgumentException e) {
        results.add(new ItemResult.Failed(e.getMessage()));
      }
    }
    return results;
  }

  /** The rows, sorted by the first sink's key columns (numbers as numbers), then by their text. */
  List<ObjectNode> sorted() {
    List<String> key =
        pipeline.steps().stream()
            .filter(s -> s.kind() == StepKind.SINK)
            .findFirst()
            .map(s -> s.sink().key())
            .orElse(List.of());
    Comparator<ObjectNode> byKey = (a, b) -> 0;
    for (String column : key) {
      byKey = byKey.thenComparing((a, b) -> compare(a.get(column), b.get(column)));
    }
    List<ObjectNode> sorted = new ArrayList<>(rows);
    sorted.sort(byKey.thenComparing(ObjectNode::toString));
    return sorted;
  }

  private static int compare(JsonNode a, JsonNode b) {
    if (a == null || b == null) {
      return a == null ? (b == null ? 0 : -1) : 1;
    }
    if (a.isNumber() && b.isNumber()) {
      return Double.compare(a.asDouble(), b.asDouble());
    }
    return a.asText().compareTo(b.asText());
  }
}
