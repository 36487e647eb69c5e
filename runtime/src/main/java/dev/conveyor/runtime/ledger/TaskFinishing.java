package dev.conveyor.runtime.ledger;

import dev.conveyor.common.redis.Keys;
import dev.conveyor.common.redis.PipelineReplies;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.params.ZAddParams;

/**
 * The ledger's side of finishing tasks ({@link TaskCompletion}, in the processor and in patrol):
 * what their audit rows need, and noting that they finished — out of flight, into the finished
 * index that patrol's cleanup walks.
 */
public final class TaskFinishing {
  private final UnifiedJedis jedis;
  private final Keys keys;

  public TaskFinishing(UnifiedJedis jedis, Keys keys) {
    this.jedis = jedis;
    this.keys = keys;
  }

  /**
   * A task whose every part passed every terminal step or is dead.
   *
   * @param deadParts parts that are dead (all of them when an item standing for the whole task is)
   * @param rows rows its sinks delivered
   */
  public record Finishing(TaskMeta meta, int deadParts, long rows) {}

  /**
   * What the audit rows of these tasks need, read in one round trip: empty for a task whose data is
   * gone, or whose meta says that it finished (as versions before 2026-12-07 noted it). A task
   * finished since is read again; its audit row is not written twice ({@link TaskCompletion}).
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
      int deadParts = dead.containsKey(QueueItem.WHOLE_TASK) ? meta.get().parts() : dead.size();
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
   * Notes that the tasks finished (their audit rows are written): lists them in the pipeline's
   * finished index, then takes them out of flight — in this order, so that a Redis that loses the
   * last writes never holds a task in neither index; one command for each index, whatever the
   * number of tasks. Nothing is written to a task's own keys: the audit row says that it finished,
   * and a write there could bring back a key of a task cleaned up meanwhile.
   */
  public void markFinished(String pipeline, List<String> taskIds, Instant finishedAt) {
    if (taskIds.isEmpty()) {
      return;
    }
    Map<String, Double> finished = new LinkedHashMap<>();
    for (String id : taskIds) {
      finished.put(id, (double) finishedAt.toEpochMilli());
    }
    PipelineReplies replies = new PipelineReplies();
    try (AbstractPipeline p = jedis.pipelined()) {
      replies.add(p.zadd(keys.finished(pipeline), finished, ZAddParams.zAddParams().nx()));
      replies.add(p.zrem(keys.inflight(pipeline), taskIds.toArray(String[]::new)));
      p.sync();
    }
    replies.check();
  }
}
