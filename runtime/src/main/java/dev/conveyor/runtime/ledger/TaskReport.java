package dev.conveyor.runtime.ledger;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.Pipelines;
import dev.conveyor.runtime.pipeline.StepDef;
import dev.conveyor.runtime.records.DeadItem;
import dev.conveyor.runtime.records.DeadItemRepository;
import dev.conveyor.runtime.records.RejectedMessageRepository;
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
 * {@code dead_items} after cleanup; and of a message that is no task (yet): still in the inbox
 * ({@link QueuedMessages}, state {@code queued}) or rejected (its latest {@code rejected_messages}
 * row, state {@code rejected}).
 */
public final class TaskReport {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final Pipelines pipelines;
  private final TaskLookup tasks;
  private final TaskAuditRepository audit;
  private final DeadItemRepository deadItems;
  private final Optional<RejectedMessageRepository> rejected;
  private final Optional<QueuedMessages> queued;

  /** Reports tasks only: a message in the inbox or rejected is not found. */
  public TaskReport(
      Pipelines pipelines,
      TaskLookup tasks,
      TaskAuditRepository audit,
      DeadItemRepository deadItems) {
    this(pipelines, tasks, audit, deadItems, Optional.empty(), Optional.empty());
  }

  /** Reports tasks, and messages still in the inbox or rejected. */
  public TaskReport(
      Pipelines pipelines,
      TaskLookup tasks,
      TaskAuditRepository audit,
      DeadItemRepository deadItems,
      RejectedMessageRepository rejected,
      QueuedMessages queued) {
    this(pipelines, tasks, audit, deadItems, Optional.of(rejected), Optional.of(queued));
  }

  private TaskReport(
      Pipelines pipelines,
      TaskLookup tasks,
      TaskAuditRepository audit,
      DeadItemRepository deadItems,
      Optional<RejectedMessageRepository> rejected,
      Optional<QueuedMessages> queued) {
    this.pipelines = pipelines;
    this.tasks = tasks;
    this.audit = audit;
    this.deadItems = deadItems;
    this.rejected = rejected;
    this.queued = queued;
  }

  /**
   * The report of the task, else of the message still in the inbox, else of the rejected one with
   * this id; empty when there is none of them.
   */
  public Optional<Map<String, Object>> status(String id) {
    Optional<Map<String, Object>> task = task(id);
    if (task.isPresent()) {
      return task;
    }
    // why: a message sent again after it was rejected is in the inbox: the newer word wins
    Optional<Map<String, Object>> inbox = queued(id);
    if (inbox.isPresent()) {
      return inbox;
    }
    Optional<Map<String, Object>> refused = rejected(id);
    if (refused.isPresent()) {
      return refused;
    }
    // why: registered (and its entry acknowledged) between the first look and the inbox's
    return queued.isPresent() ? task(id) : Optional.empty();
  }

  private Optional<Map<String, Object>> queued(String id) {
    if (queued.isEmpty()) {
      return Optional.empty();
    }
    return queued
        .get()
        .find(id)
        .found()
        .map(q -> {
          Map<String, Object> s = new LinkedHashMap<>();
          s.put("task_id", id);
          s.put("state", "queued");
          s.put("pipeline", q.pipeline());
          s.put("stream_id", q.streamId());
          s.put("received_at", q.receivedAt());
          s.put("pending", q.pending());
          return s;
        });
  }

  private Optional<Map<String, Object>> rejected(String id) {
    return rejected
        .flatMap(r -> r.latestForTask(id))
        .map(r -> {
          Map<String, Object> s = new LinkedHashMap<>();
          s.put("task_id", id);
          s.put("state", "rejected");
          pipelineOf(r.fields()).ifPresent(p -> s.put("pipeline", p));
          s.put("stream_id", r.streamId());
          s.put("reason", r.reason());
          s.put("detail", r.detail());
          s.put("rejected_at", r.receivedAt());
          return s;
        });
  }

  private static Optional<String> pipelineOf(String fieldsJson) {
    try {
      JsonNode p = JSON.readTree(fieldsJson).get("pipeline");
      return p != null && p.isTextual() ? Optional.of(p.asText()) : Optional.empty();
    } catch (JsonProcessingException e) {
      return Optional.empty();
    }
  }

  private Optional<Map<String, Object>> task(String id) {
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
      // why: the audit row is written when a task finishes (older metas also note finished_at)
      s.put("state", row.isPresent() || m.finishedAt().isPresent() ? "finished" : "in_flight");
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
