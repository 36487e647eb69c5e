package dev.conveyor.cli.embedded;

import dev.conveyor.runtime.ledger.QueueItem;
import dev.conveyor.runtime.ledger.StepInputs;
import dev.conveyor.runtime.ledger.StepProgress;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.StepDef;
import dev.conveyor.runtime.work.WorkItem;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The tasks of an {@link EmbeddedRun}, in memory where the daemons keep them in Redis: each task's
 * parts, each step's outputs, the dead items; and which items can go to a step now, with their
 * inputs joined or gathered as the daemons join and gather them ({@link StepInputs}).
 */
final class MemoryTasks {
  private final Pipeline pipeline;
  private final Map<String, List<String>> parts = new LinkedHashMap<>();
  private final Map<String, Map<String, Map<String, String>>> outputs = new HashMap<>();
  private final Map<String, Map<String, String>> dead = new HashMap<>();

  MemoryTasks(Pipeline pipeline) {
    this.pipeline = pipeline;
  }

  /** A task and the inputs of its parts, as the splitter made them. */
  void add(String taskId, List<String> partInputs) {
    parts.put(taskId, partInputs);
    dead.put(taskId, new LinkedHashMap<>());
  }

  /** What {@code step} made of {@code item}. */
  void output(String step, QueueItem item, String value) {
    outputs
        .computeIfAbsent(step, k -> new HashMap<>())
        .computeIfAbsent(item.taskId(), k -> new HashMap<>())
        .put(item.field(), value);
  }

  /** {@code item} failed its last attempt: it goes to no further step. */
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
      Map<String, String> out = outputs.getOrDefault(pred, Map.of()).getOrDefault(taskId, Map.of());
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
