package dev.conveyor.runtime.ledger;

import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.Pipelines;
import dev.conveyor.runtime.pipeline.StepDef;
import dev.conveyor.runtime.records.DeadItem;
import dev.conveyor.runtime.records.DeadItemRepository;
import dev.conveyor.runtime.records.TaskAudit;
import dev.conveyor.runtime.records.TaskAuditRepository;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where one task stands (patrol's {@code GET /tasks/<id>}, the CLI's {@code conveyor task ID}) —
 * pipeline, received time, parts, per step how many items passed it, dead items with their errors,
 * outcome — from Redis while it is in flight or not yet cleaned, and from {@code task_audit} and
 * {@code dead_items} after cleanup.
 */
public final class TaskReport {
  private final Pipelines pipelines;
  private final TaskLookup tasks;
  private final TaskAuditRepository audit;
  private final DeadItemRepository deadItems;

  public TaskReport(
      Pipelines pipelines,
      TaskLookup tasks,
      TaskAuditRepository audit,
      DeadItemRepository deadItems) {
    this.pipelines = pipelines;
    this.tasks = tasks;
    this.audit = audit;
    this.deadItems = deadItems;
  }

  /** The task's report, or empty when no task has this id. */
  public Optional<Map<String, Object>> status(String id) {
    Optional<TaskMeta> meta = tasks.meta(id);
    Optional<TaskAudit> row = audit.find(id);
    if (meta.isEmpty() && row.isEmpty()) {
      return Optional.empty();
    }
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("task_id", id);
    if (meta.isPresent()) {
      TaskMeta m = meta.get();
      TaskLookup.Pulse pulse = tasks.pulses(List.of(id)).getFirst().orElse(null);
      s.put("pipeline", m.pipeline());
      s.put("version", m.version());
      s.put("received_at", m.receivedAt());
      s.put("parts", m.parts());
      s.put("state", m.finishedAt().isPresent() ? "finished" : "in_flight");
      if (pulse != null) {
        s.put("progress_at", pulse.progressAt());
        s.put("redrives", pulse.redrives());
      }
      Optional<Pipeline> p = pipelines.get(m.pipeline());
      List<String> steps =
          p.map(x -> x.topologicalOrder().stream().map(StepDef::name).toList()).orElse(List.of());
      TaskLookup.Passed passed = tasks.passed(id, steps);
      Map<String, Object> perStep = new LinkedHashMap<>();
      for (String step : steps) {
        boolean perTask = p.get().runsPerTask(step);
        int done = passed.byStep().get(step).size();
        perStep.put(step, Map.of("passed", done, "of", perTask ? 1 : m.parts()));
      }
      s.put("steps", perStep);
      List<Map<String, Object>> dead = new ArrayList<>();
      passed.dead().forEach((field, error) -> dead.add(Map.of("part", field, "error", error)));
      s.put("dead", dead);
    } else {
      TaskAudit a = row.get();
      s.put("pipeline", a.pipeline());
      s.put("version", a.pipelineVersion());
      s.put("received_at", a.receivedAt());
      s.put("parts", a.parts());
      s.put("state", a.cleanedAt().isPresent() ? "cleaned" : "finished");
      List<Map<String, Object>> dead = new ArrayList<>();
      for (DeadItem d : deadItems.forTask(id)) {
        dead.add(
            Map.of(
                "part", d.part(), "step", d.step(), "attempts", d.attempts(), "error", d.error()));
      }
      s.put("dead", dead);
    }
    row.ifPresent(a -> {
      s.put("outcome", a.outcome().sql());
      s.put("failed_parts", a.failedParts());
      s.put("rows_delivered", a.rowsDelivered());
      s.put("finished_at", a.finishedAt());
      a.cleanedAt().ifPresent(t -> s.put("cleaned_at", t));
    });
    return Optional.of(s);
  }
}
