package dev.conveyor.dispatcher;

import dev.conveyor.runtime.ledger.TaskIntake;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.Pipelines;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds the intake back while a pipeline has {@code max_in_flight} tasks in flight: the inbox
 * (Redis, or a shared queue server) is the buffer, and the runtime state stays bounded however long
 * the backlog. Checked before every read; the limit is soft by at most one read batch per
 * dispatcher. The inbox is one stream, so a full pipeline holds back the messages of every pipeline
 * behind it. Released when the pipeline is back under 90% of its limit, so the intake does not
 * flap.
 */
final class Backpressure {
  private static final Logger log = LoggerFactory.getLogger(Backpressure.class);

  private final Pipelines pipelines;
  private final TaskIntake tasks;
  private final Clock clock;
  private final IntakeMetrics metrics;
  private volatile Hold hold;
  private volatile Map<String, Long> lastCounts = Map.of();

  /** The intake is held back because of {@code pipeline} since {@code since}. */
  record Hold(String pipeline, long inFlight, int limit, Instant since) {}

  Backpressure(Pipelines pipelines, TaskIntake tasks, Clock clock, IntakeMetrics metrics) {
    this.pipelines = pipelines;
    this.tasks = tasks;
    this.clock = clock;
    this.metrics = metrics;
  }

  /** Whether the intake may read new entries now; logs when it starts and stops holding back. */
  boolean mayRead() {
    Map<String, Long> counts = tasks.inflightCounts(pipelines.names());
    lastCounts = Map.copyOf(counts);
    Hold current = hold;
    if (current == null) {
      for (Pipeline p : pipelines.all()) {
        long n = counts.getOrDefault(p.name(), 0L);
        if (n >= p.maxInFlight()) {
          hold = new Hold(p.name(), n, p.maxInFlight(), clock.instant());
          log.atInfo()
              .addKeyValue("event", "intake_held")
              .addKeyValue("pipeline", p.name())
              .addKeyValue("in_flight", n)
              .addKeyValue("limit", p.maxInFlight())
              .log();
          return false;
        }
      }
      return true;
    }
    for (Pipeline p : pipelines.all()) {
      if (counts.getOrDefault(p.name(), 0L) > resumeBelow(p.maxInFlight())) {
        return false;
      }
    }
    Duration held = Duration.between(current.since(), clock.instant());
    hold = null;
    metrics.held(held);
    log.atInfo()
        .addKeyValue("event", "intake_resumed")
        .addKeyValue("pipeline", current.pipeline())
        .addKeyValue("held_for", held)
        .log();
    return true;
  }

  Optional<Hold> hold() {
    return Optional.ofNullable(hold);
  }

  /** For /status: tasks in flight per pipeline at the last check, with the limits. */
  Map<String, Object> status() {
    Map<String, Object> s = new LinkedHashMap<>();
    for (Pipeline p : pipelines.all()) {
      s.put(
          p.name(),
          Map.of("in_flight", lastCounts.getOrDefault(p.name(), 0L), "limit", p.maxInFlight()));
    }
    return s;
  }

  static long resumeBelow(int limit) {
    return limit - Math.max(1, limit / 10);
  }
}
