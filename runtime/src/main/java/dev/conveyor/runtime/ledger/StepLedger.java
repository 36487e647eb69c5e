package dev.conveyor.runtime.ledger;

import dev.conveyor.common.redis.GroupState;
import dev.conveyor.common.redis.Keys;
import dev.conveyor.common.redis.LuaScript;
import dev.conveyor.common.redis.PipelineReplies;
import dev.conveyor.common.redis.StreamGroup;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.StepDef;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.resps.Tuple;

/**
 * The processor's side of the task ledger: what a step reads and records for its items, and its
 * queues. The input of each item; its output, or that it is dead, and what that made ready ({@link
 * Progress}); the retry set of a failed item; items put on a step's queue (also patrol's re-drive
 * and replay); whether a step shard's queue holds nothing. Every write is idempotent, so a
 * redelivery of anything is harmless.
 */
public final class StepLedger {
  private static final LuaScript RECORD_PROGRESS = LuaScript.load("record_progress");
  private static final LuaScript RETRY_LATER = LuaScript.load("retry_later");
  private static final LuaScript RETRY_DUE = LuaScript.load("retry_due");

  private final UnifiedJedis jedis;
  private final Keys keys;
  private final Clock clock;

  public StepLedger(UnifiedJedis jedis, Keys keys) {
    this(jedis, keys, Clock.systemUTC());
  }

  /**
   * @param clock what a record notes as the task's {@code progress_at} (patrol's sweep compares it
   *     with its own clock, as it does the dispatcher's {@code received_at})
   */
  public StepLedger(UnifiedJedis jedis, Keys keys, Clock clock) {
    this.jedis = jedis;
    this.keys = keys;
    this.clock = clock;
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
                p.hget(keys.taskMeta(item.taskId()), TaskFields.PARTS),
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
                  progress.step(),
                  now())));
    }
    return RECORD_PROGRESS.runAll(jedis, calls).stream().map(StepLedger::toProgress).toList();
  }

  /**
   * An output of a step and the output of its one predecessor that it was made from, in the same
   * tick (co-located steps): both are recorded in one call.
   */
  public record ChainedOutput(QueueItem item, String earlierOutput, String output) {}

  /**
   * Records the outputs of many items of {@code progress}'s step together with their predecessor
   * {@code earlierStep}'s outputs, one call per item, in one round trip; the progress of each (as
   * of {@code progress}'s step: the predecessor's only successor is that step), in order.
   */
  public List<Progress> recordChainedOutputs(
      StepProgress progress, String earlierStep, List<ChainedOutput> outputs) {
    List<LuaScript.Call> calls = new ArrayList<>(outputs.size());
    for (ChainedOutput o : outputs) {
      List<String> k = progress.keys(keys, o.item().taskId());
      k.add(keys.taskOutput(o.item().taskId(), earlierStep));
      calls.add(
          new LuaScript.Call(
              k,
              List.of(
                  "output",
                  o.item().field(),
                  o.output(),
                  progress.outputSpec(),
                  progress.step(),
                  now(),
                  earlierStep,
                  o.earlierOutput())));
    }
    return RECORD_PROGRESS.runAll(jedis, calls).stream().map(StepLedger::toProgress).toList();
  }

  /**
   * Whether Redis would take {@link #recordChainedOutputs} of each item: every key the call writes
   * or reads is a hash or absent (a foreign key of our name, of another type, would make it fail),
   * in one round trip.
   */
  public List<Boolean> recordable(
      StepProgress progress, String earlierStep, List<QueueItem> items) {
    List<List<Response<String>>> replies = new ArrayList<>(items.size());
    try (AbstractPipeline p = jedis.pipelined()) {
      for (QueueItem item : items) {
        List<String> k = progress.keys(keys, item.taskId());
        k.add(keys.taskOutput(item.taskId(), earlierStep));
        replies.add(k.stream().distinct().map(p::type).toList());
      }
      p.sync();
    }
    return replies.stream()
        .map(r -> r.stream().allMatch(t -> t.get().equals("hash") || t.get().equals("none")))
        .toList();
  }

  /**
   * Records that an item is dead (its step failed on it for the last time); steps that gather all
   * parts may become ready, and the task may be complete.
   */
  public Progress recordDead(StepProgress progress, QueueItem item, String error) {
    return toProgress(
        RECORD_PROGRESS.run(
            jedis,
            progress.keys(keys, item.taskId()),
            List.of(
                "dead",
                item.field(),
                progress.step() + ": " + error,
                progress.deadSpec(),
                progress.step(),
                now())));
  }

  private String now() {
    return Long.toString(clock.millis());
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

  /**
   * When the earliest retry of a step shard is due, if it has any: one command, so that an idle
   * tick that finds nothing due costs no script.
   */
  public Optional<Instant> nextRetryDue(String pipeline, String step, int shard) {
    List<Tuple> first = jedis.zrangeWithScores(keys.stepRetries(pipeline, step, shard), 0, 0);
    return first.isEmpty()
        ? Optional.empty()
        : Optional.of(Instant.ofEpochMilli((long) first.getFirst().getScore()));
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

  /** Appends items (task, part) to the queues of {@code step}, each to its task's shard. */
  public void enqueue(Pipeline pipeline, StepDef step, List<Map.Entry<String, Integer>> items) {
    if (items.isEmpty()) {
      return;
    }
    PipelineReplies replies = new PipelineReplies();
    try (AbstractPipeline p = jedis.pipelined()) {
      for (Map.Entry<String, Integer> item : items) {
        String queue = Shards.queue(keys, pipeline.name(), step, item.getKey());
        replies.add(
            p.xadd(
                queue, StreamEntryID.NEW_ENTRY, QueueItem.fields(item.getKey(), item.getValue())));
      }
      p.sync();
    }
    replies.check();
  }

  /** Whether a step shard holds nothing: no entry waiting, none pending, no retry due later. */
  public boolean queueDrained(String pipeline, String step, int shard) {
    GroupState q =
        new StreamGroup(jedis, keys.stepQueue(pipeline, step, shard), Keys.PROCESSOR_GROUP).state();
    return q.drained() && jedis.zcard(keys.stepRetries(pipeline, step, shard)) == 0;
  }
}
