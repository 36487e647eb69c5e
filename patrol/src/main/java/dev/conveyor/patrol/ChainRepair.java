package dev.conveyor.patrol;

import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.Pipelines;
import dev.conveyor.runtime.pipeline.StepDef;
import dev.conveyor.runtime.quartz.ChainKey;
import dev.conveyor.runtime.quartz.QuartzTables;
import dev.conveyor.runtime.quartz.QuartzTables.ChainRow;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.quartz.ObjectAlreadyExistsException;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;
import org.quartz.Trigger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts broken step chains back. Every (pipeline, step, shard) of the loaded pipelines is a chain in
 * the processors' Quartz store ({@link ChainKey}); each tick replaces the chain's one trigger with
 * the next link, so a chain whose link is lost, or stuck in a state Quartz never fires, stops for
 * good while its queue fills. One round reads every chain's rows in one query ({@link
 * QuartzTables}) and gives each broken chain a fresh link due now, through a client of the store
 * that never runs jobs ({@link QuartzClient}).
 *
 * <p>A chain is broken when its job exists, its step is not suspended (trigger group not paused),
 * no firing of its job is in progress (a running tick puts the next link itself), and its trigger
 * is:
 *
 * <ul>
 *   <li>missing, and the job has no other live trigger (a recovery run of a dead node's tick):
 *       {@code missing_trigger};
 *   <li>in state ERROR or COMPLETE: {@code error_state}, {@code complete_state};
 *   <li>ACQUIRED or BLOCKED (without a firing these are orphans Quartz never fires again), seen so
 *       by this patrol and overdue ({@code next_fire_time}) for longer than the grace: {@code
 *       orphaned_acquired}, {@code orphaned_blocked}.
 * </ul>
 *
 * A WAITING trigger is healthy; a PAUSED or PAUSED_BLOCKED one, or any in a paused group, belongs
 * to a suspended step and is left alone. A chain whose job is missing is the processors' business
 * (they create jobs at start): it is reported ({@code event=chain_missing_job}), never created.
 *
 * <p>Repairs are idempotent: a link that appeared meanwhile (a processor, another patrol) wins.
 */
final class ChainRepair {
  /** How long an ACQUIRED or BLOCKED trigger without a firing is left before it is repaired. */
  static final Duration DEFAULT_GRACE = Duration.ofMinutes(2);

  private static final Logger log = LoggerFactory.getLogger(ChainRepair.class);

  /** Why a chain was repaired: the {@code reason} of the log line and the counter. */
  enum Reason {
    MISSING_TRIGGER(false),
    ERROR_STATE(false),
    COMPLETE_STATE(false),
    ORPHANED_ACQUIRED(true),
    ORPHANED_BLOCKED(true);

    private final boolean graced;

    Reason(boolean graced) {
      this.graced = graced;
    }

    String code() {
      return name().toLowerCase(Locale.ROOT);
    }

    /** Whether the condition must last for the grace before it counts. */
    boolean graced() {
      return graced;
    }
  }

  /** When this patrol first saw a chain in a graced condition, and what it saw. */
  private record Sighting(Reason reason, Long nextFireTime, Instant since) {}

  private final List<ChainKey> chains;
  private final QuartzTables tables;
  private final Supplier<Scheduler> scheduler;
  private final MeterRegistry registry;
  private final Clock clock;
  private final Duration grace;
  private final Map<ChainKey, Sighting> sightings = new HashMap<>();
  private Set<ChainKey> missingJobs = Set.of();

  /**
   * @param scheduler the client of the processors' store ({@link QuartzClient#scheduler()})
   * @param grace how long an orphaned ACQUIRED or BLOCKED trigger is left alone
   */
  ChainRepair(
      Pipelines pipelines,
      QuartzTables tables,
      Supplier<Scheduler> scheduler,
      MeterRegistry registry,
      Clock clock,
      Duration grace) {
    if (grace.isNegative()) {
      throw new IllegalArgumentException("grace must be >= 0, was " + grace);
    }
    this.chains = chainsOf(pipelines);
    this.tables = tables;
    this.scheduler = scheduler;
    this.registry = registry;
    this.clock = clock;
    this.grace = grace;
  }

  ChainRepair(
      Pipelines pipelines,
      QuartzTables tables,
      Supplier<Scheduler> scheduler,
      MeterRegistry registry) {
    this(pipelines, tables, scheduler, registry, Clock.systemUTC(), DEFAULT_GRACE);
  }

  /** One round: repairs every broken chain; returns how many it repaired. */
  synchronized int round() {
    Instant now = clock.instant();
    Map<ChainKey, Sighting> seen = new HashMap<>();
    Set<ChainKey> jobless = new LinkedHashSet<>();
    int repaired = 0;
    for (ChainRow row : tables.chains(chains)) {
      if (!row.hasJob()) {
        jobless.add(row.key());
        continue;
      }
      Optional<Reason> broken = diagnose(row);
      if (broken.isEmpty()) {
        continue;
      }
      Reason reason = broken.get();
      if (reason.graced() && !overdue(row, reason, now, seen)) {
        continue;
      }
      if (repair(row, reason, now)) {
        repaired++;
      }
    }
    sightings.clear();
    sightings.putAll(seen);
    reportMissingJobs(jobless);
    return repaired;
  }

  /** The chains whose job was missing in the last round. */
  synchronized Set<ChainKey> missingJobs() {
    return missingJobs;
  }

  /**
   * Why the chain of this row (whose job exists) is broken, or empty when it is healthy, suspended
   * or firing.
   */
  static Optional<Reason> diagnose(ChainRow row) {
    if (row.groupPaused() || row.firings() > 0) {
      // why: a suspended step is the operator's; a firing in progress puts the next link itself
      return Optional.empty();
    }
    String state = row.triggerState();
    if (state == null) {
      return row.otherTriggers() > 0 ? Optional.empty() : Optional.of(Reason.MISSING_TRIGGER);
    }
    return switch (state) {
      case "ERROR" -> Optional.of(Reason.ERROR_STATE);
      case "COMPLETE" -> Optional.of(Reason.COMPLETE_STATE);
      case "ACQUIRED" -> Optional.of(Reason.ORPHANED_ACQUIRED);
      case "BLOCKED" -> Optional.of(Reason.ORPHANED_BLOCKED);
      // WAITING is healthy; PAUSED and PAUSED_BLOCKED are a suspended trigger
      default -> Optional.empty();
    };
  }

  /**
   * Whether a graced condition has lasted long enough: seen so by this patrol for the grace, with
   * the same next fire time, and overdue by the grace (a trigger is not late before its time).
   */
  private boolean overdue(ChainRow row, Reason reason, Instant now, Map<ChainKey, Sighting> seen) {
    Sighting before = sightings.get(row.key());
    Sighting sighting =
        before != null
                && before.reason() == reason
                && Objects.equals(before.nextFireTime(), row.nextFireTime())
            ? before
            : new Sighting(reason, row.nextFireTime(), now);
    seen.put(row.key(), sighting);
    boolean seenLongEnough = !now.isBefore(sighting.since().plus(grace));
    boolean late =
        row.nextFireTime() == null
            || !now.isBefore(Instant.ofEpochMilli(row.nextFireTime()).plus(grace));
    return seenLongEnough && late;
  }

  private boolean repair(ChainRow row, Reason reason, Instant now) {
    ChainKey key = row.key();
    Scheduler s = scheduler.get();
    Trigger link = key.link(now, Duration.ZERO);
    try {
      if (row.triggerState() == null || s.rescheduleJob(key.triggerKey(), link) == null) {
        s.scheduleJob(link);
      }
    } catch (ObjectAlreadyExistsException raced) {
      // why: the chain got a link since we read (a processor's start, another patrol): not broken
      return false;
    } catch (SchedulerException e) {
      log.atWarn()
          .addKeyValue("event", "chain_repair_failed")
          .addKeyValue("chain", key.toString())
          .addKeyValue("reason", reason.code())
          .addKeyValue("error", String.valueOf(e.getMessage()))
          .log();
      return false;
    }
    log.atWarn()
        .addKeyValue("event", "chain_repaired")
        .addKeyValue("chain", key.toString())
        .addKeyValue("reason", reason.code())
        .addKeyValue("state", row.triggerState() == null ? "none" : row.triggerState())
        .log();
    registry.counter("conveyor_patrol_chains_repaired", "reason", reason.code()).increment();
    return true;
  }

  private void reportMissingJobs(Set<ChainKey> jobless) {
    for (ChainKey key : jobless) {
      if (!missingJobs.contains(key)) {
        // why: once per disappearance, not every round; the processors create jobs at start
        log.atWarn()
            .addKeyValue("event", "chain_missing_job")
            .addKeyValue("chain", key.toString())
            .addKeyValue("job", key.jobKey().toString())
            .log();
      }
    }
    missingJobs = Set.copyOf(jobless);
  }

  private static List<ChainKey> chainsOf(Pipelines pipelines) {
    List<ChainKey> keys = new ArrayList<>();
    for (Pipeline p : pipelines.all()) {
      for (StepDef s : p.steps()) {
        for (int shard = 0; shard < s.shards(); shard++) {
          keys.add(new ChainKey(p.name(), s.name(), shard));
        }
      }
    }
    return List.copyOf(keys);
  }
}
