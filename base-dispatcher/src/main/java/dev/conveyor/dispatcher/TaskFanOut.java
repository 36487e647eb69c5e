package dev.conveyor.dispatcher;

import dev.conveyor.common.redis.ReplicationBarrier;
import dev.conveyor.common.task.RegisterOutcome;
import dev.conveyor.common.task.Registration;
import dev.conveyor.common.task.TaskStore;
import java.util.ArrayList;
import java.util.List;
import redis.clients.jedis.UnifiedJedis;

/**
 * Registers a batch of accepted tasks with their parts and fans every new part out to every entry
 * step of its pipeline, in three round trips for the whole batch. Safe to repeat after a crash at
 * any point: registration happens once per task id, a task whose fan-out was not confirmed is
 * fanned out again (a repeated queue item is harmless downstream), and a task is marked dispatched
 * only after all its parts were enqueued.
 */
public final class TaskFanOut {
  private final TaskStore tasks;
  private final UnifiedJedis jedis;
  private final ReplicationBarrier replicated;

  /**
   * @param jedis the runtime Redis the tasks are written to
   * @param replicated waits, when configured, until the batch's registrations are on enough
   *     replicas: only then may its inbox entries be acknowledged
   */
  public TaskFanOut(TaskStore tasks, UnifiedJedis jedis, ReplicationBarrier replicated) {
    this.tasks = tasks;
    this.jedis = jedis;
    this.replicated = replicated;
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
    // why: every task of the batch, also those only resumed or found done: their writes may come
    // from a pass that crashed before it waited
    replicated.await(jedis, batch.stream().map(Registration::taskId).toList());
    return outcomes;
  }
}
