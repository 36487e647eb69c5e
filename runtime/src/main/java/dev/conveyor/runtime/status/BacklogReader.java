package dev.conveyor.runtime.status;

import dev.conveyor.common.redis.Keys;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.Pipelines;
import dev.conveyor.runtime.pipeline.StepDef;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.resps.StreamGroupInfo;

/**
 * Measures the backlog of every step shard (XINFO GROUPS: lag and pending of the processors' group;
 * ZCARD of the shard's retry set) and the tasks in flight per pipeline. Read-only.
 */
public final class BacklogReader {
  private final Pipelines pipelines;
  private final Keys keys;

  public BacklogReader(Pipelines pipelines, Keys keys) {
    this.pipelines = pipelines;
    this.keys = keys;
  }

  /** Every shard of every step of every pipeline, in the pipelines' order. */
  public List<StepBacklog> steps(UnifiedJedis jedis) {
    List<StepBacklog> backlog = new ArrayList<>();
    for (Pipeline p : pipelines.all()) {
      for (StepDef s : p.steps()) {
        for (int shard = 0; shard < s.shards(); shard++) {
          backlog.add(measure(jedis, p.name(), s.name(), shard));
        }
      }
    }
    return backlog;
  }

  /** Tasks in flight per pipeline (the size of its in-flight index). */
  public Map<String, Long> inflight(UnifiedJedis jedis) {
    Map<String, Long> inflight = new LinkedHashMap<>();
    for (Pipeline p : pipelines.all()) {
      inflight.put(p.name(), jedis.zcard(keys.inflight(p.name())));
    }
    return inflight;
  }

  /** One shard. */
  public StepBacklog measure(UnifiedJedis jedis, String pipeline, String step, int shard) {
    String queue = keys.stepQueue(pipeline, step, shard);
    long retrying = jedis.zcard(keys.stepRetries(pipeline, step, shard));
    try {
      for (StreamGroupInfo g : jedis.xinfoGroups(queue)) {
        if (Keys.PROCESSOR_GROUP.equals(g.getName())) {
          Object lag = g.getGroupInfo().get("lag");
          long waiting = lag instanceof Number n ? n.longValue() : jedis.xlen(queue);
          return new StepBacklog(pipeline, step, shard, waiting, g.getPending(), retrying);
        }
      }
      return new StepBacklog(pipeline, step, shard, jedis.xlen(queue), 0, retrying);
    } catch (JedisDataException e) {
      // why: the queue does not exist yet (nothing was ever sent to this step)
      return new StepBacklog(pipeline, step, shard, 0, 0, retrying);
    }
  }
}
