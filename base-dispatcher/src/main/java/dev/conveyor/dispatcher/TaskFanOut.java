package dev.conveyor.dispatcher;

import dev.conveyor.common.redis.ReplicationBarrier;
import dev.conveyor.runtime.ledger.RegisterOutcome;
import dev.conveyor.runtime.ledger.Registration;
import dev.conveyor.runtime.ledger.TaskIntake;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import redis.clients.jedis.UnifiedJedis;

/**
 * Registers a batch of accepted tasks with their parts and fans every new part out to every entry
 * step of its pipeline, in three round trips for the whole batch. Safe to repeat after a crash at
 * any point: registration happens once per task id, a task whose fan-out was not confirmed is
 * fanned out again (a repeated queue item is harmless downstream), and a task is marked dispatched
 * only after all its parts were enqueued.
 *
 * <p>An earlier task with the same id that finished and was cleaned up has no keys left, so the
 * registration succeeds. Since a task's audit row is written before its keys are deleted, the audit
 * rows of the tasks registered now are read after the registration — one look-up for the batch, the
 * only one for its tasks — and those found there are taken back before anything is fanned out:
 * duplicates, never processed twice. An earlier task still in Redis makes the registration say
 * {@link RegisterOutcome#DUPLICATE} itself.
 */
final class TaskFanOut {
  private final TaskIntake tasks;
  private final UnifiedJedis jedis;
  private final ReplicationBarrier replicated;
  private final FinishedTasks finished;

  /**
   * @param jedis the runtime Redis the tasks are written to
   * @param replicated waits, when configured, until the batch's registrations are on enough
   *     replicas: only then may its inbox entries be acknowledged
   * @param finished the tasks among some that have an audit row
   */
  TaskFanOut(
      TaskIntake tasks, UnifiedJedis jedis, ReplicationBarrier replicated, FinishedTasks finished) {
    this.tasks = tasks;
    this.jedis = jedis;
    this.replicated = replicated;
    this.finished = finished;
  }

  /** What happened to each task, in order; the caller acknowledges the entries afterwards. */
  public List<RegisterOutcome> dispatch(List<Registration> batch) {
    if (batch.isEmpty()) {
      return List.of();
    }
    List<RegisterOutcome> outcomes = new ArrayList<>(tasks.registerAll(batch));
    List<String> registered = new ArrayList<>(batch.size());
    for (int i = 0; i < batch.size(); i++) {
      if (outcomes.get(i) == RegisterOutcome.NEW || outcomes.get(i) == RegisterOutcome.RESUME) {
        registered.add(batch.get(i).taskId());
      }
    }
    Set<String> finishedMeanwhile = registered.isEmpty() ? Set.of() : finished.among(registered);
    List<Registration> fanOut = new ArrayList<>(registered.size());
    List<Registration> takeBack = new ArrayList<>();
    for (int i = 0; i < batch.size(); i++) {
      RegisterOutcome o = outcomes.get(i);
      if (o != RegisterOutcome.NEW && o != RegisterOutcome.RESUME) {
        continue;
      }
      if (finishedMeanwhile.contains(batch.get(i).taskId())) {
        takeBack.add(batch.get(i));
        outcomes.set(i, RegisterOutcome.DUPLICATE);
      } else {
        fanOut.add(batch.get(i));
      }
    }
    tasks.unregisterAll(takeBack);
    tasks.dispatchAll(fanOut);
    // why: every task of the batch, also those only resumed or found done: their writes may come
    // from a pass that crashed before it waited
    replicated.await(jedis, batch.stream().map(Registration::taskId).toList());
    return outcomes;
  }
}
