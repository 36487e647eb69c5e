package dev.conveyor.runtime.ledger;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conveyor.common.redis.Keys;
import dev.conveyor.common.redis.LuaScript;
import dev.conveyor.runtime.records.TaskSnapshot;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.params.ZAddParams;

/**
 * Snapshots of tasks' runtime data: taken by patrol just before it deletes the data of a task that
 * has dead items, brought back by the replay of those items — the outputs of the task's other parts
 * are what joins and task-scope steps need to run again.
 */
public final class TaskSnapshots {
  private static final LuaScript RESTORE = LuaScript.load("restore_task");
  private static final ObjectMapper JSON = new ObjectMapper();

  private final UnifiedJedis jedis;
  private final Keys keys;

  public TaskSnapshots(UnifiedJedis jedis, Keys keys) {
    this.jedis = jedis;
    this.keys = keys;
  }

  /** Snapshots of these tasks in two round trips; a task whose data is gone has none. */
  public List<TaskSnapshot> take(List<String> taskIds) {
    if (taskIds.isEmpty()) {
      return List.of();
    }
    List<Response<Map<String, String>>> metas = new ArrayList<>(taskIds.size());
    try (AbstractPipeline p = jedis.pipelined()) {
      for (String id : taskIds) {
        metas.add(p.hgetAll(keys.taskMeta(id)));
      }
      p.sync();
    }
    record Read(
        String taskId,
        Map<String, String> meta,
        Response<Map<String, String>> parts,
        Response<Map<String, String>> dead,
        Map<String, Response<Map<String, String>>> outputs) {}
    List<Read> reads = new ArrayList<>(taskIds.size());
    try (AbstractPipeline p = jedis.pipelined()) {
      for (int i = 0; i < taskIds.size(); i++) {
        String id = taskIds.get(i);
        Map<String, String> meta = metas.get(i).get();
        if (!meta.containsKey(TaskFields.PIPELINE)) {
          continue;
        }
        Map<String, Response<Map<String, String>>> outputs = new LinkedHashMap<>();
        for (String field : meta.keySet()) {
          TaskFields.outputStep(field)
              .ifPresent(step -> outputs.put(step, p.hgetAll(keys.taskOutput(id, step))));
        }
        reads.add(
            new Read(
                id, meta, p.hgetAll(keys.taskParts(id)), p.hgetAll(keys.taskDead(id)), outputs));
      }
      p.sync();
    }
    List<TaskSnapshot> snapshots = new ArrayList<>(reads.size());
    for (Read r : reads) {
      ObjectNode data = JSON.createObjectNode();
      data.set("meta", JSON.valueToTree(r.meta()));
      data.set("parts", JSON.valueToTree(r.parts().get()));
      data.set("dead", JSON.valueToTree(r.dead().get()));
      ObjectNode outputs = data.putObject("outputs");
      r.outputs().forEach((step, hash) -> outputs.set(step, JSON.valueToTree(hash.get())));
      snapshots.add(
          new TaskSnapshot(r.taskId(), r.meta().get(TaskFields.PIPELINE), data.toString()));
    }
    return snapshots;
  }

  /**
   * Brings the task back as it was when its snapshot was taken: finished, listed in its pipeline's
   * finished index (first, so that a crash leaves keys patrol's cleanup finds again), its hashes
   * written in one script. False when the task has data in Redis already (nothing is overwritten).
   */
  public boolean restore(TaskSnapshot snapshot) {
    JsonNode data;
    try {
      data = JSON.readTree(snapshot.data());
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(
          "snapshot of " + snapshot.taskId() + " is not JSON: " + e.getMessage(), e);
    }
    String id = snapshot.taskId();
    long finishedAt =
        data.path("meta").path(TaskFields.FINISHED_AT).asLong(System.currentTimeMillis());
    jedis.zadd(keys.finished(snapshot.pipeline()), finishedAt, id, ZAddParams.zAddParams().nx());
    List<String> k =
        new ArrayList<>(List.of(keys.taskMeta(id), keys.taskParts(id), keys.taskDead(id)));
    List<String> args = new ArrayList<>(List.of(snapshot.data()));
    data.path("outputs")
        .fieldNames()
        .forEachRemaining(step -> {
          k.add(keys.taskOutput(id, step));
          args.add(step);
        });
    return ((Number) RESTORE.run(jedis, k, args)).longValue() == 1;
  }
}
