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
  private static final LuaScript REGISTER = LuaScript.load("register_task");
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
