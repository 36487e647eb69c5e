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
import java.util.Map;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.params.ZAddParams;

/**
 * The dispatcher's side of the task ledger: registers tasks with their parts, takes back
 * registrations of duplicates, fans tasks out to their entry steps' queues, and counts the tasks in
 * flight (backpressure). Every write is idempotent, so a re-pass after a crash is harmless.
 */
public final class TaskIntake {
  private static final int PARTS_PER_HSET = 500;
  private static final LuaScript UNREGISTER = LuaScript.load("unregister_task");

  private final UnifiedJedis jedis;
  private final Keys keys;

  public TaskIntake(UnifiedJedis jedis, Keys keys) {
    this.jedis = jedis;
    this.keys = keys;
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

  /**
   * Registers many tasks, in order (of two with the same id, the first wins), with plain commands
   * in two round trips for all: first each task claims its id ({@code HSETNX} of the meta's {@code
   * stream_id}); then the tasks that won write the rest of their meta and their parts, and for the
   * others the meta tells whether this inbox entry registered them before ({@link
   * RegisterOutcome}). A pass that died between the two left a meta of its {@code stream_id} alone:
   * the next pass of the same entry finds it, and writes the rest (a third round trip, only then).
   *
   * <p>why not a script: a script call cost Redis several times the plain commands it runs
   * (docs/benchmarks.md, "fewer commands per task").
   */
  public List<RegisterOutcome> registerAll(List<Registration> registrations) {
    List<Response<Long>> claims = new ArrayList<>(registrations.size());
    try (AbstractPipeline p = jedis.pipelined()) {
      for (Registration r : registrations) {
        claims.add(p.hsetnx(keys.taskMeta(r.taskId()), TaskFields.STREAM_ID, r.streamId()));
      }
      p.sync();
    }
    List<Response<List<String>>> found = new ArrayList<>(registrations.size());
    PipelineReplies written = new PipelineReplies();
    try (AbstractPipeline p = jedis.pipelined()) {
      for (int i = 0; i < registrations.size(); i++) {
        Registration r = registrations.get(i);
        if (PipelineReplies.get(claims.get(i)) == 1) {
          write(p, written, r);
          found.add(null);
        } else {
          found.add(
              p.hmget(
                  keys.taskMeta(r.taskId()),
                  TaskFields.STREAM_ID,
                  TaskFields.DISPATCHED,
                  TaskFields.FINISHED_AT,
                  TaskFields.PIPELINE));
        }
      }
      p.sync();
    }
    written.check();
    List<RegisterOutcome> outcomes = new ArrayList<>(registrations.size());
    List<Registration> unfinished = new ArrayList<>();
    for (int i = 0; i < registrations.size(); i++) {
      if (found.get(i) == null) {
        outcomes.add(RegisterOutcome.NEW);
        continue;
      }
      // stream_id, dispatched, finished_at, pipeline
      List<String> f = PipelineReplies.get(found.get(i));
      if (!registrations.get(i).streamId().equals(f.get(0))) {
        outcomes.add(RegisterOutcome.DUPLICATE);
      } else if (f.get(1) != null || f.get(2) != null) {
        outcomes.add(RegisterOutcome.DONE);
      } else {
        outcomes.add(RegisterOutcome.RESUME);
        if (f.get(3) == null) {
          unfinished.add(registrations.get(i));
        }
      }
    }
    if (!unfinished.isEmpty()) {
      PipelineReplies rest = new PipelineReplies();
      try (AbstractPipeline p = jedis.pipelined()) {
        unfinished.forEach(r -> write(p, rest, r));
        p.sync();
      }
      rest.check();
    }
    return outcomes;
  }

  /** The meta of a task that claimed its id, but for its stream_id, and its parts. */
  private void write(AbstractPipeline p, PipelineReplies replies, Registration r) {
    String received = Long.toString(r.receivedAt().toEpochMilli());
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put(TaskFields.PIPELINE, r.pipeline().name());
    meta.put(TaskFields.VERSION, Integer.toString(r.pipeline().version()));
    meta.put(TaskFields.PARTS, Integer.toString(r.partInputs().size()));
    meta.put(TaskFields.RECEIVED_AT, received);
    meta.put(TaskFields.PROGRESS_AT, received);
    replies.add(p.hset(keys.taskMeta(r.taskId()), meta));
    // why: one HSET per PARTS_PER_HSET parts, not one per part, nor one of a huge argument list
    Map<String, String> parts = new LinkedHashMap<>();
    for (int i = 0; i < r.partInputs().size(); i++) {
      parts.put(Integer.toString(i), r.partInputs().get(i));
      if (parts.size() == PARTS_PER_HSET) {
        replies.add(p.hset(keys.taskParts(r.taskId()), parts));
        parts = new LinkedHashMap<>();
      }
    }
    if (!parts.isEmpty()) {
      replies.add(p.hset(keys.taskParts(r.taskId()), parts));
    }
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
   * Fans registered tasks out: puts them in their pipelines' in-flight indexes (one {@code ZADD}
   * per pipeline) and every part on the queue of every entry step, then marks the tasks dispatched
   * — two round trips for all. Safe to repeat: the index keeps the first time, and a repeated queue
   * item is harmless downstream.
   */
  public void dispatchAll(List<Registration> registrations) {
    if (registrations.isEmpty()) {
      return;
    }
    Map<String, Map<String, Double>> inflight = new LinkedHashMap<>();
    for (Registration r : registrations) {
      inflight
          .computeIfAbsent(r.pipeline().name(), name -> new LinkedHashMap<>())
          .putIfAbsent(r.taskId(), (double) r.receivedAt().toEpochMilli());
    }
    PipelineReplies fanOut = new PipelineReplies();
    try (AbstractPipeline p = jedis.pipelined()) {
      inflight.forEach((pipeline, tasks) ->
          fanOut.add(p.zadd(keys.inflight(pipeline), tasks, ZAddParams.zAddParams().nx())));
      for (Registration r : registrations) {
        String pipeline = r.pipeline().name();
        for (StepDef entry : r.pipeline().entrySteps()) {
          String queue = Shards.queue(keys, pipeline, entry, r.taskId());
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
        marked.add(p.hset(keys.taskMeta(r.taskId()), TaskFields.DISPATCHED, "1"));
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
}
