package dev.conveyor.runtime.ledger;

import dev.conveyor.common.redis.Keys;
import dev.conveyor.common.redis.LuaScript;
import dev.conveyor.common.redis.PipelineReplies;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.StepDef;
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
  private static final LuaScript UNREGISTER = LuaScript.load("unregister_task");
  private static final LuaScript RECORD_PROGRESS = LuaScript.load("record_progress");
  private static final LuaScript RETRY_LATER = LuaScript.load("retry_later");
  private static final LuaScript RETRY_DUE = LuaScript.load("retry_due");
  private static final LuaScript REOPEN = LuaScript.load("reopen_task");
  private static final LuaScript MARK_FINISHED = LuaScript.load("mark_finished");

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
   * Takes back registrations not fanned out yet, made by the same inbox entries ({@code
   * unregister_task.lua}), in one round trip: for tasks found to have finished before.
   */
  public void unregisterAll(List<Registration> registrations) {
    if (registrations.isEmpty()) {
      return;
    }
    List<LuaScript.Call> calls = new ArrayList<>(registrations.size());
    for (Registration r : registrations) {
      calls.add(
          new LuaScript.Call(
              List.of(keys.taskMeta(r.taskId()), keys.taskParts(r.taskId())),
              List.of(r.streamId())));
    }
    UNREGISTER.runAll(jedis, calls);
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
    PipelineReplies fanOut = new PipelineReplies();
    try (AbstractPipeline p = jedis.pipelined()) {
      for (Registration r : registrations) {
        fanOut.add(
            p.zadd(
                keys.inflight(r.pipeline().name()),
                r.receivedAt().toEpochMilli(),
                r.taskId(),
                ZAddParams.zAddParams().nx()));
        for (StepDef entry : r.pipeline().entrySteps()) {
          String queue =
              keys.stepQueue(
                  r.pipeline().name(), entry.name(), Shards.of(r.taskId(), entry.shards()));
          for (int part = 0; part < r.partInputs().size(); part++) {
            fanOut.add(p.xadd(queue, StreamEntryID.NEW_ENTRY, QueueItem.fields(r.taskId(), part)));
          }
        }
      }
      p.sync();
    }
    fanOut.check();
    PipelineReplies marked = new PipelineReplies();
    try (AbstractPipeline p = jedis.pipelined()) {
      for (Registration r : registrations) {
        marked.add(p.hset(keys.taskMeta(r.taskId()), "dispatched", "1"));
      }
      p.sync();
    }
    marked.check();
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
    PipelineReplies replies = new PipelineReplies();
    try (AbstractPipeline p = jedis.pipelined()) {
      for (Map.Entry<String, Integer> item : items) {
        String queue =
            keys.stepQueue(pipeline.name(), step.name(), Shards.of(item.getKey(), step.shards()));
        replies.add(
            p.xadd(
                queue, StreamEntryID.NEW_ENTRY, QueueItem.fields(item.getKey(), item.getValue())));
      }
      p.sync();
    }
    replies.check();
  }

  /**
   * The input of each item for {@code step} (see {@link dev.conveyor.runtime.step.StepInput}), as
   * JSON text, in one round trip for the batch; null where the task's data is gone (it finished and
   * was cleaned up: a late redelivery).
   */
  public List<String> inputs(Pipeline pipeline, StepDef step, List<QueueItem> items) {
    if (items.isEmpty()) {
      return List.of();
    }
    if (StepProgress.gathersParts(pipeline, step)) {
      return gatheredInputs(step, items);
    }
    List<List<Response<String>>> replies = new ArrayList<>(items.size());
    try (AbstractPipeline p = jedis.pipelined()) {
      for (QueueItem item : items) {
        List<Response<String>> perItem = new ArrayList<>();
        if (step.after().isEmpty()) {
          perItem.add(p.hget(keys.taskParts(item.taskId()), item.field()));
        } else {
          for (String pred : step.after()) {
            perItem.add(p.hget(keys.taskOutput(item.taskId(), pred), item.field()));
          }
        }
        replies.add(perItem);
      }
      p.sync();
    }
    List<String> inputs = new ArrayList<>(items.size());
    for (List<Response<String>> perItem : replies) {
      if (perItem.stream().anyMatch(r -> r.get() == null)) {
        inputs.add(null);
      } else {
        List<String> outputs = perItem.stream().map(Response::get).toList();
        inputs.add(
            step.after().isEmpty() ? outputs.getFirst() : StepInputs.join(step.after(), outputs));
      }
    }
    return inputs;
  }

  /** {"parts": n, "dead": [...], "outputs": {"<pred>": {"<part>": output}}} per item. */
  private List<String> gatheredInputs(StepDef step, List<QueueItem> items) {
    record Gathered(
        Response<String> parts,
        Response<Map<String, String>> dead,
        List<Response<Map<String, String>>> outputs) {}
    List<Gathered> replies = new ArrayList<>(items.size());
    try (AbstractPipeline p = jedis.pipelined()) {
      for (QueueItem item : items) {
        List<Response<Map<String, String>>> outputs = new ArrayList<>();
        for (String pred : step.after()) {
          outputs.add(p.hgetAll(keys.taskOutput(item.taskId(), pred)));
        }
        replies.add(
            new Gathered(
                p.hget(keys.taskMeta(item.taskId()), "parts"),
                p.hgetAll(keys.taskDead(item.taskId())),
                outputs));
      }
      p.sync();
    }
    List<String> inputs = new ArrayList<>(items.size());
    for (Gathered g : replies) {
      if (g.parts().get() == null) {
        inputs.add(null);
        continue;
      }
      inputs.add(
          StepInputs.gather(
              Integer.parseInt(g.parts().get()),
              g.dead().get().keySet(),
              step.after(),
              g.outputs().stream().map(Response::get).toList()));
    }
    return inputs;
  }

  /** Records a step's output for an item; see {@link Progress}. */
  public Progress recordOutput(StepProgress progress, QueueItem item, String output) {
    return recordOutputs(progress, List.of(Map.entry(item, output))).getFirst();
  }

  /** Records the outputs of many items in one round trip; the progress of each, in order. */
  public List<Progress> recordOutputs(
      StepProgress progress, List<Map.Entry<QueueItem, String>> outputs) {
    List<LuaScript.Call> calls = new ArrayList<>(outputs.size());
    for (Map.Entry<QueueItem, String> o : outputs) {
      calls.add(
          new LuaScript.Call(
              progress.keys(keys, o.getKey().taskId()),
              List.of(
                  "output",
                  o.getKey().field(),
                  o.getValue(),
                  progress.outputSpec(),
                  progress.step())));
    }
    return RECORD_PROGRESS.runAll(jedis, calls).stream().map(TaskStore::toProgress).toList();
  }

  /**
   * Records that an item is dead (its step failed on it for the last time); steps that gather all
   * parts may become ready, and the task may be complete.
   */
  public Progress recordDead(StepProgress progress, QueueItem item, String error) {
    return progress(progress, item, "dead", progress.step() + ": " + error, progress.deadSpec());
  }

  private Progress progress(
      StepProgress progress, QueueItem item, String mode, String value, String spec) {
    return toProgress(
        RECORD_PROGRESS.run(
            jedis,
            progress.keys(keys, item.taskId()),
            List.of(mode, item.field(), value, spec, progress.step())));
  }

  private static Progress toProgress(Object reply) {
    List<?> values = (List<?>) reply;
    boolean complete = ((Number) values.getFirst()).longValue() == 1;
    List<String> ready = new ArrayList<>();
    for (int i = 1; i < values.size(); i++) {
      ready.add(String.valueOf(values.get(i)));
    }
    return new Progress(ready, complete);
  }

  /**
   * Takes a failed item off its queue into the queue's retry set, due at {@code due}, with one more
   * attempt counted; atomic.
   */
  public void retryLater(
      String pipeline, String step, int shard, String group, QueueItem item, Instant due) {
    RETRY_LATER.run(
        jedis,
        List.of(keys.stepQueue(pipeline, step, shard), keys.stepRetries(pipeline, step, shard)),
        List.of(
            group,
            item.entryId(),
            Long.toString(due.toEpochMilli()),
            item.failedOnce().retryMember()));
  }

  /** Puts items whose retry is due back on the queue (at most {@code max}); returns how many. */
  public long moveDueRetries(String pipeline, String step, int shard, Instant now, int max) {
    Object moved =
        RETRY_DUE.run(
            jedis,
            List.of(keys.stepQueue(pipeline, step, shard), keys.stepRetries(pipeline, step, shard)),
            List.of(Long.toString(now.toEpochMilli()), Integer.toString(max)));
    return ((Number) moved).longValue();
  }

  public Optional<TaskMeta> meta(String taskId) {
    return TaskMeta.from(taskId, jedis.hgetAll(keys.taskMeta(taskId)));
  }

  /**
   * What the audit rows of these tasks need, read in one round trip: empty for a task whose data is
   * gone or that finished already.
   *
   * @param sinkSteps the pipeline's sink steps: their outputs are the rows delivered
   */
  public List<Optional<Finishing>> finishing(List<String> taskIds, List<String> sinkSteps) {
    record Replies(
        Response<Map<String, String>> meta,
        Response<Map<String, String>> dead,
        List<Response<List<String>>> sinks) {}
    List<Replies> replies = new ArrayList<>(taskIds.size());
    try (AbstractPipeline p = jedis.pipelined()) {
      for (String id : taskIds) {
        List<Response<List<String>>> sinks = new ArrayList<>();
        for (String step : sinkSteps) {
          sinks.add(p.hvals(keys.taskOutput(id, step)));
        }
        replies.add(new Replies(p.hgetAll(keys.taskMeta(id)), p.hgetAll(keys.taskDead(id)), sinks));
      }
      p.sync();
    }
    List<Optional<Finishing>> out = new ArrayList<>(taskIds.size());
    for (int i = 0; i < taskIds.size(); i++) {
      Replies r = replies.get(i);
      Optional<TaskMeta> meta = TaskMeta.from(taskIds.get(i), r.meta().get());
      if (meta.isEmpty() || meta.get().finishedAt().isPresent()) {
        out.add(Optional.empty());
        continue;
      }
      Map<String, String> dead = r.dead().get();
      int deadParts = dead.containsKey("task") ? meta.get().parts() : dead.size();
      long rows = 0;
      for (Response<List<String>> sink : r.sinks()) {
        for (String v : sink.get()) {
          rows += Long.parseLong(v);
        }
      }
      out.add(Optional.of(new Finishing(meta.get(), deadParts, rows)));
    }
    return out;
  }

  /**
   * A task whose every part passed every terminal step or is dead.
   *
   * @param deadParts parts that are dead (all of them when an item standing for the whole task is)
   * @param rows rows its sinks delivered
   */
  public record Finishing(TaskMeta meta, int deadParts, long rows) {}

  /**
   * Notes that the tasks finished (their audit rows are written): lists them in the pipeline's
   * finished index, then takes them out of flight — in this order, so that a Redis that loses the
   * last writes never holds a task in neither index.
   */
  public void markFinished(String pipeline, List<String> taskIds, Instant finishedAt) {
    if (taskIds.isEmpty()) {
      return;
    }
    String at = Long.toString(finishedAt.toEpochMilli());
    List<LuaScript.Call> calls = new ArrayList<>(taskIds.size());
    for (String id : taskIds) {
      calls.add(new LuaScript.Call(List.of(keys.taskMeta(id)), List.of(at)));
    }
    MARK_FINISHED.runAll(jedis, calls);
    PipelineReplies replies = new PipelineReplies();
    try (AbstractPipeline p = jedis.pipelined()) {
      for (String id : taskIds) {
        replies.add(
            p.zadd(
                keys.finished(pipeline),
                finishedAt.toEpochMilli(),
                id,
                ZAddParams.zAddParams().nx()));
      }
      for (String id : taskIds) {
        replies.add(p.zrem(keys.inflight(pipeline), id));
      }
      p.sync();
    }
    replies.check();
  }

  /**
   * A slice of the pipeline's finished index (tasks finished, data not yet deleted), oldest first.
   *
   * @param from rank of the first task (0 = the oldest)
   */
  public List<String> finishedSlice(String pipeline, long from, int count) {
    return jedis.zrange(keys.finished(pipeline), from, from + count - 1);
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

  /** Where each task stands, in one round trip: empty for a task whose meta is gone. */
  public List<Optional<Pulse>> pulses(List<String> taskIds) {
    List<Response<List<String>>> replies = new ArrayList<>(taskIds.size());
    try (AbstractPipeline p = jedis.pipelined()) {
      for (String id : taskIds) {
        replies.add(
            p.hmget(
                keys.taskMeta(id), "parts", "progress_at", "redrives", "finished_at", "pipeline"));
      }
      p.sync();
    }
    List<Optional<Pulse>> out = new ArrayList<>(taskIds.size());
    for (int i = 0; i < taskIds.size(); i++) {
      List<String> v = replies.get(i).get();
      if (v.get(0) == null || v.get(4) == null) {
        out.add(Optional.empty());
        continue;
      }
      out.add(
          Optional.of(
              new Pulse(
                  taskIds.get(i),
                  Integer.parseInt(v.get(0)),
                  Instant.ofEpochMilli(Long.parseLong(v.get(1) == null ? "0" : v.get(1))),
                  v.get(2) == null ? 0 : Integer.parseInt(v.get(2)),
                  v.get(3) != null)));
    }
    return out;
  }

  /**
   * Where a task stands.
   *
   * @param progressAt the last time any step recorded an output or a dead item for it
   * @param redrives how often patrol re-drove it
   */
  public record Pulse(
      String taskId, int parts, Instant progressAt, int redrives, boolean finished) {}

  /**
   * Which items of the task passed each of these steps (output fields: part numbers or "task"), and
   * which are dead, in one round trip.
   */
  public Passed passed(String taskId, List<String> steps) {
    Map<String, Response<java.util.Set<String>>> outs = new LinkedHashMap<>();
    Response<Map<String, String>> dead;
    try (AbstractPipeline p = jedis.pipelined()) {
      for (String step : steps) {
        outs.put(step, p.hkeys(keys.taskOutput(taskId, step)));
      }
      dead = p.hgetAll(keys.taskDead(taskId));
      p.sync();
    }
    Map<String, java.util.Set<String>> byStep = new LinkedHashMap<>();
    outs.forEach((step, r) -> byStep.put(step, java.util.Set.copyOf(r.get())));
    return new Passed(byStep, Map.copyOf(dead.get()));
  }

  /**
   * What passed where.
   *
   * @param byStep step → the output fields it has (part numbers, or "task")
   * @param dead dead field → "step: error"
   */
  public record Passed(Map<String, java.util.Set<String>> byStep, Map<String, String> dead) {}

  /** Notes a re-drive: one more counted, and the stuck clock starts again. */
  public void noteRedrive(String taskId, Instant now) {
    PipelineReplies replies = new PipelineReplies();
    try (AbstractPipeline p = jedis.pipelined()) {
      replies.add(p.hincrBy(keys.taskMeta(taskId), "redrives", 1));
      replies.add(p.hset(keys.taskMeta(taskId), "progress_at", Long.toString(now.toEpochMilli())));
      p.sync();
    }
    replies.check();
  }

  /** Whether a step shard holds nothing: no entry waiting, none pending, no retry due later. */
  public boolean queueDrained(String pipeline, String step, int shard) {
    var q =
        new dev.conveyor.common.redis.StreamGroup(
                jedis, keys.stepQueue(pipeline, step, shard), Keys.PROCESSOR_GROUP)
            .state();
    return q.drained() && jedis.zcard(keys.stepRetries(pipeline, step, shard)) == 0;
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
    List<Response<java.util.Set<String>>> fields = new ArrayList<>(taskIds.size());
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
          if (field.startsWith("out:")) {
            doomed.add(keys.taskOutput(id, field.substring(4)));
          }
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
      TaskMeta meta,
      Map<String, String> dead,
      Map<String, ? extends java.util.Collection<String>> clear) {
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
