package dev.conveyor.runtime.ledger;

import dev.conveyor.common.redis.Keys;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.UnifiedJedis;

/**
 * Where tasks stand in the ledger, read only: a task's meta, the pulse of many (patrol's audit),
 * and which items passed which steps (the audit, {@link TaskReport}). Writes nothing, so the CLI's
 * {@code conveyor task} can use it.
 */
public final class TaskLookup {
  private final UnifiedJedis jedis;
  private final Keys keys;

  public TaskLookup(UnifiedJedis jedis, Keys keys) {
    this.jedis = jedis;
    this.keys = keys;
  }

  /** The task's meta, or empty when its data is gone (or never was). */
  public Optional<TaskMeta> meta(String taskId) {
    return TaskMeta.from(taskId, jedis.hgetAll(keys.taskMeta(taskId)));
  }

  /**
   * Where a task stands.
   *
   * @param progressAt the last time any step recorded an output or a dead item for it
   * @param redrives how often patrol re-drove it
   */
  public record Pulse(
      String taskId, int parts, Instant progressAt, int redrives, boolean finished) {}

  /** Where each task stands, in one round trip: empty for a task whose meta is gone. */
  public List<Optional<Pulse>> pulses(List<String> taskIds) {
    List<Response<List<String>>> replies = new ArrayList<>(taskIds.size());
    try (AbstractPipeline p = jedis.pipelined()) {
      for (String id : taskIds) {
        replies.add(
            p.hmget(
                keys.taskMeta(id),
                TaskFields.PARTS,
                TaskFields.PROGRESS_AT,
                TaskFields.REDRIVES,
                TaskFields.FINISHED_AT,
                TaskFields.PIPELINE));
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
   * What passed where.
   *
   * @param byStep step → the output fields it has (part numbers, or "task")
   * @param dead dead field → "step: error"
   */
  public record Passed(Map<String, Set<String>> byStep, Map<String, String> dead) {}

  /**
   * Which items of the task passed each of these steps (output fields: part numbers or "task"), and
   * which are dead, in one round trip.
   */
  public Passed passed(String taskId, List<String> steps) {
    Map<String, Response<Set<String>>> outs = new LinkedHashMap<>();
    Response<Map<String, String>> dead;
    try (AbstractPipeline p = jedis.pipelined()) {
      for (String step : steps) {
        outs.put(step, p.hkeys(keys.taskOutput(taskId, step)));
      }
      dead = p.hgetAll(keys.taskDead(taskId));
      p.sync();
    }
    Map<String, Set<String>> byStep = new LinkedHashMap<>();
    outs.forEach((step, r) -> byStep.put(step, Set.copyOf(r.get())));
    return new Passed(byStep, Map.copyOf(dead.get()));
  }
}
