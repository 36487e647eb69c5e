package dev.conveyor.patrol;

import dev.conveyor.common.redis.Keys;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.Pipelines;
import dev.conveyor.runtime.pipeline.StepDef;
import dev.conveyor.runtime.status.BacklogReader;
import dev.conveyor.runtime.status.StepBacklog;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.UnifiedJedis;

/**
 * Measures the backlog of every step shard ({@link BacklogReader}: waiting, pending, retrying) and
 * the tasks in flight per pipeline; publishes them as gauges and in {@code /status}, and logs one
 * line per round when the totals changed.
 */
final class BacklogReport {
  private static final Logger log = LoggerFactory.getLogger(BacklogReport.class);

  private final Pipelines pipelines;
  private final Keys keys;
  private final BacklogReader reader;
  private final Supplier<UnifiedJedis> jedis;
  private final MeterRegistry registry;
  private final RedisMemory memory;
  private final Map<String, AtomicLong> gauges = new ConcurrentHashMap<>();
  private volatile List<StepBacklog> last = List.of();
  private volatile Map<String, Long> lastInflight = Map.of();
  private long lastTotal = -1;
  private long lastInflightTotal = -1;

  BacklogReport(
      Pipelines pipelines, Keys keys, Supplier<UnifiedJedis> jedis, MeterRegistry registry) {
    this.pipelines = pipelines;
    this.keys = keys;
    this.reader = new BacklogReader(pipelines, keys);
    this.jedis = jedis;
    this.registry = registry;
    this.memory = new RedisMemory(registry);
  }

  /** One round: measure, publish, log if changed. */
  void round() {
    UnifiedJedis j = jedis.get();
    List<StepBacklog> backlog = new ArrayList<>();
    Map<String, Long> inflight = new java.util.LinkedHashMap<>();
    for (Pipeline p : pipelines.all()) {
      inflight.put(p.name(), j.zcard(keys.inflight(p.name())));
      gauge("conveyor_tasks_inflight", p.name(), "").set(inflight.get(p.name()));
      for (StepDef s : p.steps()) {
        long stepTotal = 0;
        for (int shard = 0; shard < s.shards(); shard++) {
          StepBacklog b = reader.measure(j, p.name(), s.name(), shard);
          backlog.add(b);
          stepTotal += b.total();
        }
        gauge("conveyor_step_backlog", p.name(), s.name()).set(stepTotal);
      }
    }
    last = List.copyOf(backlog);
    lastInflight = Map.copyOf(inflight);
    long total = backlog.stream().mapToLong(StepBacklog::total).sum();
    long inflightTotal = inflight.values().stream().mapToLong(Long::longValue).sum();
    if (total != lastTotal || inflightTotal != lastInflightTotal) {
      log.atInfo()
          .addKeyValue("event", "backlog")
          .addKeyValue("queued", total)
          .addKeyValue("pending", backlog.stream().mapToLong(StepBacklog::pending).sum())
          .addKeyValue("tasks_in_flight", inflightTotal)
          .log();
      lastTotal = total;
      lastInflightTotal = inflightTotal;
    }
  }

  /**
   * Reads the runtime Redis's memory into its gauges ({@link RedisMemory}); the patrol holding the
   * lease does, once per round, after its work.
   */
  void memory() {
    memory.round(jedis.get());
  }

  List<StepBacklog> last() {
    return last;
  }

  Map<String, Long> inflight() {
    return lastInflight;
  }

  private AtomicLong gauge(String name, String pipeline, String step) {
    return gauges.computeIfAbsent(
        name + "|" + pipeline + "|" + step,
        k -> {
          AtomicLong value = new AtomicLong();
          Gauge.builder(name, value, AtomicLong::get)
              .tag("pipeline", pipeline)
              .tags(step.isEmpty() ? new String[0] : new String[] {"step", step})
              .register(registry);
          return value;
        });
  }
}
