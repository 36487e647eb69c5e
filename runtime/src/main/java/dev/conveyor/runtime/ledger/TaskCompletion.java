package dev.conveyor.runtime.ledger;

import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.StepDef;
import dev.conveyor.runtime.pipeline.StepKind;
import dev.conveyor.runtime.records.TaskAudit;
import dev.conveyor.runtime.records.TaskAuditRepository;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Finishes tasks whose every part passed every terminal step or is dead: writes their {@code
 * task_audit} rows (once, whatever the number of calls; one transaction for a batch of tasks), then
 * takes them out of flight in Redis, and tells producers ({@link TaskEvents}: one {@code finished}
 * event per row written).
 */
public final class TaskCompletion {
  private final TaskFinishing ledger;
  private final TaskAuditRepository audit;
  private final Clock clock;
  private final TaskEvents events;

  public TaskCompletion(
      TaskFinishing ledger, TaskAuditRepository audit, Clock clock, TaskEvents events) {
    this.ledger = ledger;
    this.audit = audit;
    this.clock = clock;
    this.events = events;
  }

  /** Without task events. */
  public TaskCompletion(TaskFinishing ledger, TaskAuditRepository audit, Clock clock) {
    this(ledger, audit, clock, TaskEvents.off());
  }

  /** Returns how many audit rows this call wrote. */
  public int finish(Pipeline pipeline, List<String> taskIds) {
    if (taskIds.isEmpty()) {
      return 0;
    }
    List<String> sinks =
        pipeline.steps().stream()
            .filter(s -> s.kind() == StepKind.SINK)
            .map(StepDef::name)
            .toList();
    List<Optional<TaskFinishing.Finishing>> finishing = ledger.finishing(taskIds, sinks);
    Instant now = clock.instant();
    List<TaskAudit> rows = new ArrayList<>(taskIds.size());
    List<String> done = new ArrayList<>(taskIds.size());
    for (Optional<TaskFinishing.Finishing> f : finishing) {
      if (f.isEmpty()) {
        continue;
      }
      TaskMeta m = f.get().meta();
      rows.add(
          new TaskAudit(
              m.taskId(),
              m.pipeline(),
              m.version(),
              TaskAudit.Outcome.of(m.parts(), f.get().deadParts()),
              m.parts(),
              f.get().deadParts(),
              f.get().rows(),
              m.streamId(),
              m.receivedAt(),
              now,
              Optional.empty()));
      done.add(m.taskId());
    }
    Set<String> written = audit.written(rows);
    ledger.markFinished(pipeline.name(), done, now);
    // why: after the row, so an event never announces what PostgreSQL does not hold; only rows this
    // call wrote, so a second finish of the same task (patrol and a processor) says nothing twice
    events.finished(rows.stream().filter(r -> written.contains(r.taskId())).toList());
    return written.size();
  }
}
