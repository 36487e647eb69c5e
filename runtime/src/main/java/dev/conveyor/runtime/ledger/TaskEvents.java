package dev.conveyor.runtime.ledger;

import dev.conveyor.common.json.SafeText;
import dev.conveyor.common.outage.Outages;
import dev.conveyor.common.redis.Keys;
import dev.conveyor.runtime.records.TaskAudit;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.params.XAddParams;

/**
 * The task events stream ({@link Keys#taskEvents()}): one entry when a task's audit row is written
 * ({@code event=finished}, with its outcome) and one when an inbox entry is stored as rejected
 * ({@code event=rejected}, with the reason), for producers who read it with a consumer group of
 * their own. Bounded by {@code XADD MAXLEN ~ maxLen}; {@code maxLen} 0 writes nothing.
 *
 * <p>A notification, not a record: the rows in PostgreSQL are the truth. Writing an event never
 * fails the work it reports — a failure is logged once ({@code event=task_events_failed}), and once
 * more when events are written again ({@code event=task_events_resumed}); the events of the
 * meantime are lost, as are those of a daemon killed between the row and its event.
 */
public final class TaskEvents {
  private static final Logger log = LoggerFactory.getLogger(TaskEvents.class);

  /** Characters of a rejection's detail an event carries. */
  public static final int DETAIL_CHARS = 500;

  private static final TaskEvents OFF = new TaskEvents(() -> null, null, 0);

  private final Supplier<UnifiedJedis> jedis;
  private final Keys keys;
  private final long maxLen;
  private final AtomicBoolean failing = new AtomicBoolean();

  /**
   * @param jedis the runtime Redis, asked per write
   * @param maxLen about how many events the stream keeps ({@code CONVEYOR_TASK_EVENTS_MAXLEN}); 0:
   *     none are written
   */
  public TaskEvents(Supplier<UnifiedJedis> jedis, Keys keys, long maxLen) {
    if (maxLen < 0) {
      throw new IllegalArgumentException("maxLen must be >= 0, was " + maxLen);
    }
    this.jedis = jedis;
    this.keys = keys;
    this.maxLen = maxLen;
  }

  /** Writes no events (tests, tools). */
  public static TaskEvents off() {
    return OFF;
  }

  /** One {@code finished} event per audit row, in one round trip. */
  public void finished(List<TaskAudit> rows) {
    if (rows.isEmpty()) {
      return;
    }
    write(
        rows.stream()
            .map(a -> {
              Map<String, String> e = new LinkedHashMap<>();
              e.put("event", "finished");
              e.put("task", a.taskId());
              e.put("pipeline", a.pipeline());
              e.put("outcome", a.outcome().sql());
              e.put("parts", Integer.toString(a.parts()));
              e.put("failed_parts", Integer.toString(a.failedParts()));
              e.put("rows", Long.toString(a.rowsDelivered()));
              e.put("stream_id", a.streamId());
              e.put("at", a.finishedAt().toString());
              return e;
            })
            .toList());
  }

  /**
   * A {@code rejected} event.
   *
   * @param taskId the task id the producer meant (its valid {@code id}, or the stream id when it
   *     gave none), or null when it gave an id that is not one
   * @param pipeline the {@code pipeline} field as text, or null
   */
  public void rejected(
      String taskId, String streamId, String pipeline, String reason, String detail, Instant at) {
    Map<String, String> e = new LinkedHashMap<>();
    e.put("event", "rejected");
    if (taskId != null) {
      e.put("task", taskId);
    }
    if (pipeline != null) {
      e.put("pipeline", SafeText.capped(pipeline, 200));
    }
    e.put("reason", reason);
    e.put("detail", SafeText.capped(detail, DETAIL_CHARS));
    e.put("stream_id", streamId);
    e.put("at", at.toString());
    write(List.of(e));
  }

  private void write(List<Map<String, String>> events) {
    if (maxLen == 0) {
      return;
    }
    XAddParams params = XAddParams.xAddParams().maxLen(maxLen).approximateTrimming();
    try {
      try (AbstractPipeline p = jedis.get().pipelined()) {
        for (Map<String, String> e : events) {
          p.xadd(keys.taskEvents(), params, e);
        }
        p.sync();
      }
      if (failing.getAndSet(false)) {
        log.atInfo().addKeyValue("event", "task_events_resumed").log();
      }
    } catch (RuntimeException e) {
      // why: the events only report what the rows already say; losing some must not fail the task.
      // An outage of Redis is said once by the daemon's ServiceWatch, not again here
      if (!Outages.isOutage(e) && !failing.getAndSet(true)) {
        log.atWarn()
            .addKeyValue("event", "task_events_failed")
            .addKeyValue("stream", keys.taskEvents())
            .addKeyValue("lost", events.size())
            .addKeyValue("error", String.valueOf(e.getMessage()))
            .log();
      }
    }
  }
}
