package dev.conveyor.runtime.ledger;

import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.StepDef;
import dev.conveyor.runtime.pipeline.StepKind;
import dev.conveyor.runtime.records.TaskAudit;
import dev.conveyor.runtime.records.TaskAuditRepository;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

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
  private final MeterRegistry registry;
  private final Map<String, Timer> latency = new ConcurrentHashMap<>();
  private final TaskEvents events;

  /** Without metrics and task events. */
  public TaskCompletion(TaskFinishing ledger, TaskAuditRepository audit, Clock clock) {
    this(ledger, audit, clock, null, TaskEvents.off());
  }

  /** Without task events. */
  public TaskCompletion(
      TaskFinishing ledger, TaskAuditRepository audit, Clock clock, MeterRegistry registry) {
    this(ledger, audit, clock, registry, TaskEvents.off());
  }

  /**
   * @param registry where the time from a task's inbox entry to its audit row is recorded ({@code
   *     conveyor_task_latency_seconds{pipeline}}); null records nothing
   * @param events where producers hear that a task finished
   */
  public TaskCompletion(
      TaskFinishing ledger,
      TaskAuditRepository audit,
      Clock clock,
      MeterRegistry registry,
      TaskEvents events) {
    this.ledger = ledger;
    this.audit = audit;
    this.clock = clock;
    this.registry = registry;
    this.events = events;
  }

  private Timer latencyTimer(String pipeline) {
    return Timer.builder("conveyor_task_latency")
        .description("from a task's inbox entry to its audit row")
        .tag("pipeline", pipeline)
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(10))
        .maximumExpectedValue(Duration.ofHours(6))
        .register(registry);
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
    List<TaskAudit> written = audit.insertNew(rows);
    ledger.markFinished(pipeline.name(), done, now);
    if (registry != null) {
      Timer timer = latency.computeIfAbsent(pipeline.name(), this::latencyTimer);
      for (TaskAudit a : written) {
        Duration took = Duration.between(a.receivedAt(), a.finishedAt());
        // why: a task received "in the future" (clocks of two hosts apart) counts as instant
        timer.record(took.isNegative() ? Duration.ZERO : took);
      }
    }
    // why: after the row, so an event never announces what PostgreSQL does not hold; only rows this
    // call wrote, so a second finish of the same task (patrol and a processor) says nothing twice
    events.finished(written);
    return written.size();
  }
}
