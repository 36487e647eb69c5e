package dev.conveyor.dispatcher;

import dev.conveyor.common.task.RegisterOutcome;
import dev.conveyor.common.task.Registration;
import dev.conveyor.common.task.TaskStore;
import java.util.ArrayList;
import java.util.List;

/**
 * Registers a batch of accepted tasks with their parts and fans every new part out to every entry
 * step of its pipeline, in three round trips for the whole batch. Safe to repeat after a crash at
 * any point: registration happens once per task id, a task whose fan-out was not confirmed is
 * fanned out again (a repeated queue item is harmless downstream), and a task is marked dispatched
 * only after all its parts were enqueued.
 */
public final class TaskFanOut {
  private final TaskStore tasks;

  public TaskFanOut(TaskStore tasks) {
    this.tasks = tasks;
  }

  /** What happened to each task, in order; the caller acknowledges the entries afterwards. */
  public List<RegisterOutcome> dispatch(List<Registration> batch) {
    if (batch.isEmpty()) {
      return List.of();
    }
    List<RegisterOutcome> outcomes = tasks.registerAll(batch);
    List<Registration> fanOut = new ArrayList<>(batch.size());
    for (int i = 0; i < batch.size(); i++) {
      if (outcomes.get(i) == RegisterOutcome.NEW || outcomes.get(i) == RegisterOutcome.RESUME) {
        fanOut.add(batch.get(i));
      }
    }
    tasks.dispatchAll(fanOut);
    return outcomes;
  }
}
