package dev.conveyor.runtime.ledger;

import dev.conveyor.common.redis.Keys;
import dev.conveyor.common.redis.LuaScript;
import dev.conveyor.common.redis.PipelineReplies;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.Response;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.params.ZAddParams;
import redis.clients.jedis.params.ZRangeParams;

/**
 * Patrol's side of the task ledger: walks the pipelines' in-flight and finished indexes (never the
 * keyspace), notes re-drives, deletes the keys of finished tasks, and re-opens tasks for a replay
 * of their dead items.
 */
public final class TaskSweep {
  private static final LuaScript REOPEN = LuaScript.load("reopen_task");

  private final UnifiedJedis jedis;
  private final Keys keys;

  public TaskSweep(UnifiedJedis jedis, Keys keys) {
    this.jedis = jedis;
    this.keys = keys;
  }

  /** How many tasks of the pipeline are in flight. */
  public long inflightCount(String pipeline) {
    return jedis.zcard(keys.inflight(pipeline));
  }

  /**
   * A slice of the pipeline's in-flight index, oldest first: task id → received time (ms).
   *
   * @param from rank of the first task (0 = the oldest)
   */
  public Map<String, Long> inflightSlice(String pipeline, long from, int count) {
    Map<String, Long> slice = new LinkedHashMap<>();
    for (var t : jedis.zrangeWithScores(keys.inflight(pipeline), from, from + count - 1)) {
      slice.put(t.getElement(), (long) t.getScore());
    }
    return slice;
  }

  /** Takes a task out of its pipeline's in-flight index (its data is gone). */
  public void removeInflight(String pipeline, String taskId) {
    jedis.zrem(keys.inflight(pipeline), taskId);
  }

  /**
   * A slice of the pipeline's finished index (tasks finished, data not yet deleted), oldest first,
   * of the tasks that finished at or before {@code until} (the index is scored by the time a task
   * finished, in ms).
   *
   * @param from rank of the first task among them (0 = the oldest)
   */
  public List<String> finishedSlice(String pipeline, Instant until, long from, int count) {
    return jedis.zrange(
        keys.finished(pipeline),
        new ZRangeParams(Protocol.Keyword.BYSCORE, "-inf", Long.toString(until.toEpochMilli()))
            .limit(Math.toIntExact(from), count));
  }

  /** Notes a re-drive: one more counted, and the stuck clock starts again. */
  public void noteRedrive(String taskId, Instant now) {
    PipelineReplies replies = new PipelineReplies();
    try (AbstractPipeline p = jedis.pipelined()) {
      replies.add(p.hincrBy(keys.taskMeta(taskId), TaskFields.REDRIVES, 1));
      replies.add(
          p.hset(keys.taskMeta(taskId), TaskFields.PROGRESS_AT, Long.toString(now.toEpochMilli())));
      p.sync();
    }
    replies.check();
  }

  /**
   * Deletes every runtime key of finished tasks (meta, parts, dead, each step's outputs as listed
   * in the meta), one command per task (its keys share a slot), then takes them out of the
   * pipeline's finished index: three round trips for all. Keys first, so that a Redis that loses
   * the last writes still lists a task whose keys it brought back.
   */
  public void deleteTasks(String pipeline, List<String> taskIds) {
    if (taskIds.isEmpty()) {
      return;
    }
    List<Response<Set<String>>> fields = new ArrayList<>(taskIds.size());
    try (AbstractPipeline p = jedis.pipelined()) {
      for (String id : taskIds) {
        fields.add(p.hkeys(keys.taskMeta(id)));
      }
      p.sync();
    }
    PipelineReplies deleted = new PipelineReplies();
    try (AbstractPipeline p = jedis.pipelined()) {
      for (int i = 0; i < taskIds.size(); i++) {
        String id = taskIds.get(i);
        List<String> doomed = new ArrayList<>();
        doomed.add(keys.taskMeta(id));
        doomed.add(keys.taskParts(id));
        doomed.add(keys.taskDead(id));
        for (String field : fields.get(i).get()) {
          TaskFields.outputStep(field).ifPresent(step -> doomed.add(keys.taskOutput(id, step)));
        }
        deleted.add(p.unlink(doomed.toArray(String[]::new)));
      }
      p.sync();
    }
    deleted.check();
    jedis.zrem(keys.finished(pipeline), taskIds.toArray(String[]::new));
  }

  /**
   * Re-opens a task for a replay of dead items, atomically on its keys ({@code reopen_task.lua}):
   * each item is no longer dead (if its step recorded it), the outputs listed in {@code clear} are
   * forgotten, the task is no longer finished; then it is put back in its pipeline's in-flight
   * index. Idempotent. False when the task's data is gone (it was cleaned up).
   *
   * @param dead the items: dead-hash field (part number or {@code task}) → the step it died at
   * @param clear output fields to forget: step → fields
   */
  public boolean reopen(
      TaskMeta meta, Map<String, String> dead, Map<String, ? extends Collection<String>> clear) {
    List<String> k = new ArrayList<>();
    k.add(keys.taskMeta(meta.taskId()));
    k.add(keys.taskDead(meta.taskId()));
    List<String> args = new ArrayList<>();
    args.add(Integer.toString(dead.size()));
    dead.forEach((field, step) -> {
      args.add(field);
      args.add(step);
    });
    clear.forEach((step, fields) -> {
      for (String field : fields) {
        k.add(keys.taskOutput(meta.taskId(), step));
        args.add(field);
      }
    });
    Object reply = REOPEN.run(jedis, k, args);
    if (((Number) reply).longValue() == 0) {
      return false;
    }
    jedis.zadd(
        keys.inflight(meta.pipeline()),
        meta.receivedAt().toEpochMilli(),
        meta.taskId(),
        ZAddParams.zAddParams().nx());
    // why: after the in-flight index has it, so that the task is never in neither index
    jedis.zrem(keys.finished(meta.pipeline()), meta.taskId());
    return true;
  }
}
