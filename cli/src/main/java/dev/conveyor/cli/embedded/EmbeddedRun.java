package dev.conveyor.cli.embedded;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conveyor.runtime.ledger.QueueItem;
import dev.conveyor.runtime.ledger.StepInputs;
import dev.conveyor.runtime.ledger.StepProgress;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.StepDef;
import dev.conveyor.runtime.pipeline.StepKind;
import dev.conveyor.runtime.resource.MappedResource;
import dev.conveyor.runtime.resource.SharedResources;
import dev.conveyor.runtime.split.Splitter;
import dev.conveyor.runtime.step.StepContext;
import dev.conveyor.runtime.work.ItemResult;
import dev.conveyor.runtime.work.JavaStepWork;
import dev.conveyor.runtime.work.SinkRows;
import dev.conveyor.runtime.work.StepWork;
import dev.conveyor.runtime.work.WorkItem;
import dev.conveyor.runtime.work.command.CommandWork;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Runs a pipeline in one process with no Redis and no PostgreSQL: the same splitter, the same step
 * code (java and command steps), the same input shapes, joins, task-scope gathering, retries and
 * sink row mapping as the daemons, over tasks held in memory, step after step in batches. What the
 * sinks would deliver comes back as rows, sorted by each sink's key — the reference that a
 * distributed run must equal.
 */
public final class EmbeddedRun implements AutoCloseable {
  private final Pipeline pipeline;
  private final SharedResources resources;
  private final Map<String, StepWork> works = new LinkedHashMap<>();
  private final List<MappedResource> handles = new ArrayList<>();

  /** One task to run: its id and its payload. */
  public record Input(String taskId, ObjectNode payload) {}

  /** A task the pipeline's split rule could not take. */
  public record Unsplittable(String taskId, String reason) {}

  /** An item that failed its last attempt. */
  public record Dead(String taskId, int part, String step, String error) {}

  /** What a run delivered. */
  public record Result(List<ObjectNode> rows, List<Unsplittable> unsplittable, List<Dead> dead) {}

  public EmbeddedRun(Pipeline pipeline, SharedResources resources) {
    this.pipeline = pipeline;
    this.resources = resources;
  }

  /** Starts the step code; a step that cannot start is an error naming it. */
  public EmbeddedRun start() {
    for (StepDef step : pipeline.topologicalOrder()) {
      try {
        switch (step.kind()) {
          case JAVA -> {
            Map<String, StepContext.SharedResource> mine = new LinkedHashMap<>();
            for (String name : step.resources()) {
              MappedResource r = resources.acquire(name, pipeline.resources().get(name));
              handles.add(r);
              mine.put(name, r);
            }
            JavaStepWork java = new JavaStepWork(pipeline, step, mine);
            java.start();
            works.put(step.name(), java);
          }
          case COMMAND -> {
            CommandWork command = CommandWork.of(pipeline, step);
            command.start();
            works.put(step.name(), command);
          }
          case SINK -> {
            // rows are computed here; nothing to start
          }
        }
      } catch (RuntimeException e) {
        close();
        throw new IllegalStateException("step " + step.name() + ": " + e.getMessage(), e);
      }
    }
    return this;
  }

  public Result run(List<Input> tasks) {
    Tasks state = new Tasks();
    List<Unsplittable> unsplittable = new ArrayList<>();
    for (Input in : tasks) {
      Optional<List<ObjectNode>> parts = Splitter.split(pipeline.split(), in.payload());
      if (parts.isEmpty()) {
        unsplittable.add(
            new Unsplittable(
                in.taskId(), "the payload has no string field '" + pipeline.split().field() + "'"));
        continue;
      }
      state.add(in.taskId(), parts.get().stream().map(ObjectNode::toString).toList());
    }
    List<ObjectNode> rows = new ArrayList<>();
    List<Dead> dead = new ArrayList<>();
    for (StepDef step : pipeline.topologicalOrder()) {
      List<WorkItem> ready = state.ready(step);
      for (int from = 0; from < ready.size(); from += step.batch()) {
        List<WorkItem> batch = ready.subList(from, Math.min(ready.size(), from + step.batch()));
        runBatch(step, batch, state, rows, dead);
      }
    }
    sort(rows);
    return new Result(rows, unsplittable, dead);
  }

  private void runBatch(
      StepDef step, List<WorkItem> batch, Tasks state, List<ObjectNode> rows, List<Dead> dead) {
    List<WorkItem> pending = batch;
    for (int attempt = 1; attempt <= step.retry().attempts() && !pending.isEmpty(); attempt++) {
      List<ItemResult> results = process(step, pending, rows);
      List<WorkItem> failed = new ArrayList<>();
      for (int i = 0; i < pending.size(); i++) {
        WorkItem w = pending.get(i);
        switch (results.get(i)) {
          case ItemResult.Output out -> state.output(step.name(), w.item(), out.value());
          case ItemResult.Failed f -> {
            if (attempt == step.retry().attempts()) {
              state.dead(w.item(), step.name() + ": " + f.error());
              dead.add(new Dead(w.item().taskId(), w.item().part(), step.name(), f.error()));
            } else {
              failed.add(w);
            }
          }
        }
      }
      pending = failed;
    }
  }

  private List<ItemResult> process(StepDef step, List<WorkItem> batch, List<ObjectNode> rows) {
    if (step.kind() != StepKind.SINK) {
      return works.get(step.name()).process(batch);
    }
    List<String> columns = step.sink().columns();
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
          if (pipeline.steps().stream().filter(s -> s.kind() == StepKind.SINK).count() > 1) {
            o.put("_sink", step.name());
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

  /** Sorts the rows by the sink's key columns (numbers as numbers), then by their text. */
  private void sort(List<ObjectNode> rows) {
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
    rows.sort(byKey.thenComparing(ObjectNode::toString));
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

  @Override
  public void close() {
    works.values().forEach(StepWork::close);
    works.clear();
    handles.forEach(MappedResource::close);
    handles.clear();
  }

  /** The tasks in memory: their parts, each step's outputs, the dead items. */
  private final class Tasks {
    private final Map<String, List<String>> parts = new LinkedHashMap<>();
    private final Map<String, Map<String, Map<String, String>>> outputs = new HashMap<>();
    private final Map<String, Map<String, String>> dead = new HashMap<>();

    void add(String taskId, List<String> partInputs) {
      parts.put(taskId, partInputs);
      dead.put(taskId, new LinkedHashMap<>());
    }

    void output(String step, QueueItem item, String value) {
      outputs
          .computeIfAbsent(step, k -> new HashMap<>())
          .computeIfAbsent(item.taskId(), k -> new HashMap<>())
          .put(item.field(), value);
    }

    void dead(QueueItem item, String error) {
      dead.get(item.taskId()).put(item.field(), error);
    }

    private String outputOf(String step, String taskId, String field) {
      return outputs.getOrDefault(step, Map.of()).getOrDefault(taskId, Map.of()).get(field);
    }

    /** The items of every task that can go to {@code step} now, with their inputs. */
    List<WorkItem> ready(StepDef step) {
      List<WorkItem> ready = new ArrayList<>();
      for (Map.Entry<String, List<String>> t : parts.entrySet()) {
        String taskId = t.getKey();
        Map<String, String> deadFields = dead.get(taskId);
        if (deadFields.containsKey("task")) {
          continue;
        }
        if (!pipeline.runsPerTask(step.name())) {
          for (int part = 0; part < t.getValue().size(); part++) {
            String field = Integer.toString(part);
            if (deadFields.containsKey(field)) {
              continue;
            }
            String input =
                step.after().isEmpty() ? t.getValue().get(part) : joined(step, taskId, field);
            if (input != null) {
              ready.add(new WorkItem(new QueueItem(taskId, part, "0-0"), input));
            }
          }
        } else if (StepProgress.gathersParts(pipeline, step)) {
          gathered(step, taskId, t.getValue().size(), deadFields)
              .ifPresent(
                  in -> ready.add(new WorkItem(new QueueItem(taskId, QueueItem.TASK, "0-0"), in)));
        } else {
          String input = joined(step, taskId, "task");
          if (input != null) {
            ready.add(new WorkItem(new QueueItem(taskId, QueueItem.TASK, "0-0"), input));
          }
        }
      }
      return ready;
    }

    private String joined(StepDef step, String taskId, String field) {
      List<String> in = new ArrayList<>();
      for (String pred : step.after()) {
        String out = outputOf(pred, taskId, field);
        if (out == null) {
          return null;
        }
        in.add(out);
      }
      return StepInputs.join(step.after(), in);
    }

    private Optional<String> gathered(
        StepDef step, String taskId, int n, Map<String, String> deadFields) {
      List<Map<String, String>> byPred = new ArrayList<>();
      for (String pred : step.after()) {
        Map<String, String> out =
            outputs.getOrDefault(pred, Map.of()).getOrDefault(taskId, Map.of());
        for (int part = 0; part < n; part++) {
          String field = Integer.toString(part);
          if (!deadFields.containsKey(field) && !out.containsKey(field)) {
            return Optional.empty();
          }
        }
        byPred.add(out);
      }
      return Optional.of(StepInputs.gather(n, deadFields.keySet(), step.after(), byPred));
    }
  }
}
