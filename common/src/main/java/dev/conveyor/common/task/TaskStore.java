package dev.conveyor.common.task;

import dev.conveyor.common.pipeline.Pipeline;
import dev.conveyor.common.pipeline.StepDef;
import dev.conveyor.common.redis.Keys;
import dev.conveyor.common.redis.LuaScript;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.params.ZAddParams;

/**
 * The runtime state of tasks in Redis: registration, fan-out to step queues, step inputs and
 * outputs, completion. Every write is idempotent, so redelivery of anything is harmless.
 */
public final class TaskStore {
  private static final LuaScript REGISTER = LuaScript.load("register_task");
  private static final LuaScript RECORD_OUTPUT = LuaScript.load("record_output");

  private final UnifiedJedis jedis;
  private final Keys keys;

  public TaskStore(UnifiedJedis jedis, Keys keys) {
    this.jedis = jedis;
    this.keys = keys;
  }

  public Keys keys() {
    return keys;
  }

  /** Registers the task and its parts unless its id is known; see {@link RegisterOutcome}. */
  public RegisterOutcome register(
      String taskId,
      Pipeline pipeline,
      String streamId,
      Instant receivedAt,
      List<String> partInputs) {
    return registerAll(
            List.of(new Registration(taskId, pipeline, streamId, receivedAt, partInputs)))
        .getFirst();
  }

  /** Registers many tasks in one round trip, in order (of two with the same id, the first wins). */
  public List<RegisterOutcome> registerAll(List<Registration> registrations) {
    List<LuaScript.Call> calls = new ArrayList<>(registrations.size());
    for (Registration r : registrations) {
      List<String> args = new ArrayList<>(5 + r.partInputs().size());
      args.add(r.pipeline().name());
      args.add(Integer.toString(r.pipeline().version()));
      args.add(Integer.toString(r.partInputs().size()));
      args.add(r.streamId());
      args.add(Long.toString(r.receivedAt().toEpochMilli()));
      args.addAll(r.partInputs());
      calls.add(
          new LuaScript.Call(List.of(keys.taskMeta(r.taskId()), keys.taskParts(r.taskId())), args));
    }
    List<RegisterOutcome> outcomes = new ArrayList<>(registrations.size());
    for (Object reply : REGISTER.runAll(jedis, calls)) {
      outcomes.add(RegisterOutcome.valueOf(String.valueOf(reply).toUpperCase(Locale.ROOT)));
    }
    return outcomes;
  }

  /**
   * Fans registered tasks out: puts each in its pipeline's in-flight index and every part on the
   * queue of every entry step, then marks the tasks dispatched — two round trips for all. Safe to
   * repeat: the index keeps the first time, and a repeated queue item is harmless downstream.
   */
  public void dispatchAll(List<Registration> registrations) {
    if (registrations.isEmpty()) {
      return;
    }
    try (AbstractPipeline p = jedis.pipelined()) {
      for (Registration r : registrations) {
        p.zadd(
            keys.inflight(r.pipeline().name()),
            r.receivedAt().toEpochMilli(),
            r.taskId(),
            ZAddParams.zAddParams().nx());
        for (StepDef entry : r.pipeline().entrySteps()) {
          String queue =
              keys.stepQueue(
                  r.pipeline().name(), entry.name(), Shards.of(r.taskId(), entry.shards()));
          for (int part = 0; part < r.partInputs().size(); part++) {
            p.xadd(queue, StreamEntryID.NEW_ENTRY, QueueItem.fields(r.taskId(), part));
          }
        }
      }
      p.sync();
    }
    try (AbstractPipeline p = jedis.pipelined()) {
      for (Registration r : registrations) {
        p.hset(keys.taskMeta(r.taskId()), "dispatched", "1");
      }
      p.sync();
    }
  }

  /** How many tasks of each pipeline are in flight, in one round trip. */
  public Map<String, Long> inflightCounts(List<String> pipelines) {
    Map<String, Response<Long>> replies = new LinkedHashMap<>();
    try (AbstractPipeline p = jedis.pipelined()) {
      for (String name : pipelines) {
        replies.put(name, p.zcard(keys.inflight(name)));
      }
      p.sync();
    }
    Map<String, Long> counts = new LinkedHashMap<>();
    replies.forEach((name, r) -> counts.put(name, r.get()));
    return counts;
  }

  /** How many tasks of the pipeline are in flight. */
  public long inflightCount(String pipeline) {
    return jedis.zcard(keys.inflight(pipeline));
  }

  /** Appends items (task, part) to the queues of {@code step}, each to its task's shard. */
  public void enqueue(Pipeline pipeline, StepDef step, List<Map.Entry<String, Integer>> items) {
    if (items.isEmpty()) {
      return;
    }
    try (AbstractPipeline p = jedis.pipelined()) {
      for (Map.Entry<String, Integer> item : items) {
        String queue =
            keys.stepQueue(pipeline.name(), step.name(), Shards.of(item.getKey(), step.shards()));
        p.xadd(queue, StreamEntryID.NEW_ENTRY, QueueItem.fields(item.getKey(), item.getValue()));
      }
      p.sync();
    }
  }

  /**
   * The input of each item for a part-scope step with at most one predecessor: the part's input for
   * an entry step, else the predecessor's output for that part. A missing input is null.
   */
  public List<String> inputs(StepDef step, List<QueueItem> items) {
    List<Response<String>> replies = new ArrayList<>(items.size());
    try (AbstractPipeline p = jedis.pipelined()) {
      for (QueueItem item : items) {
        String hash =
            step.after().isEmpty()
                ? keys.taskParts(item.taskId())
                : keys.taskOutput(item.taskId(), step.after().getFirst());
        replies.add(p.hget(hash, item.field()));
      }
      p.sync();
    }
    return replies.stream().map(Response::get).toList();
  }

  /** Records a step's output for an item; see {@link Progress}. */
  public Progress recordOutput(StepProgress progress, QueueItem item, String output) {
    Object reply =
        RECORD_OUTPUT.run(
            jedis,
            progress.keys(keys, item.taskId()),
            List.of(item.field(), output, progress.spec()));
    List<?> values = (List<?>) reply;
    boolean complete = ((Number) values.getFirst()).longValue() == 1;
    List<String> ready = new ArrayList<>();
    for (int i = 1; i < values.size(); i++) {
      ready.add(String.valueOf(values.get(i)));
    }
    return new Progress(ready, complete);
  }

  public Optional<TaskMeta> meta(String taskId) {
    return TaskMeta.from(taskId, jedis.hgetAll(keys.taskMeta(taskId)));
  }

  public long deadParts(String taskId) {
    return jedis.hlen(keys.taskDead(taskId));
  }

  /** Sum of a step's outputs read as numbers (a sink's output is the rows it delivered). */
  public long sumOutputs(String taskId, String step) {
    long sum = 0;
    for (String v : jedis.hvals(keys.taskOutput(taskId, step))) {
      try {
        sum += Long.parseLong(v);
      } catch (NumberFormatException e) {
        // not a count: not a sink's output
      }
    }
    return sum;
  }

  /** Notes that the task finished (its audit row is written) and takes it out of flight. */
  public void markFinished(String pipeline, String taskId, Instant finishedAt) {
    jedis.hset(keys.taskMeta(taskId), "finished_at", Long.toString(finishedAt.toEpochMilli()));
    jedis.zrem(keys.inflight(pipeline), taskId);
  }
}
