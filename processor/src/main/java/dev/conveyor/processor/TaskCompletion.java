package dev.conveyor.processor;

import dev.conveyor.common.db.TaskAudit;
import dev.conveyor.common.db.TaskAuditRepository;
import dev.conveyor.common.pipeline.Pipeline;
import dev.conveyor.common.pipeline.StepDef;
import dev.conveyor.common.pipeline.StepKind;
import dev.conveyor.common.task.TaskMeta;
import dev.conveyor.common.task.TaskStore;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;

/**
 * Finishes a task whose every part passed every terminal step or is dead: writes its {@code
 * task_audit} row (once, whatever the number of calls), then takes it out of flight in Redis.
 */
final class TaskCompletion {
  private final TaskStore tasks;
  private final TaskAuditRepository audit;
  private final Clock clock;

  TaskCompletion(TaskStore tasks, TaskAuditRepository audit, Clock clock) {
    this.tasks = tasks;
    this.audit = audit;
    this.clock = clock;
  }

  /** Returns the audit row written, or empty when the task was already finished or is gone. */
  Optional<TaskAudit> finish(Pipeline pipeline, String taskId) {
    Optional<TaskMeta> meta = tasks.meta(taskId);
    if (meta.isEmpty() || meta.get().finishedAt().isPresent()) {
      return Optional.empty();
    }
    TaskMeta m = meta.get();
    int failed = (int) tasks.deadParts(taskId, meta.get().parts());
    long rows = 0;
    for (StepDef step : pipeline.steps()) {
      if (step.kind() == StepKind.SINK) {
        rows += tasks.sumOutputs(taskId, step.name());
      }
    }
    Instant now = clock.instant();
    TaskAudit row =
        new TaskAudit(
            taskId,
            m.pipeline(),
            m.version(),
            TaskAudit.Outcome.of(m.parts(), failed),
            m.parts(),
            failed,
            rows,
            m.streamId(),
            m.receivedAt(),
            now,
            Optional.empty());
    boolean written = audit.insert(row);
    tasks.markFinished(m.pipeline(), taskId, now);
    return written ? Optional.of(row) : Optional.empty();
  }
}
