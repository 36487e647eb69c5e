package dev.conveyor.processor;

import dev.conveyor.common.chain.ChainKey;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import org.quartz.JobBuilder;
import org.quartz.JobDetail;
import org.quartz.JobKey;
import org.quartz.ObjectAlreadyExistsException;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;
import org.quartz.Trigger;
import org.quartz.impl.matchers.GroupMatcher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The chains of step ticks in Quartz: one durable job and one trigger per (pipeline, step, shard)
 * ({@link ChainKey}). Each run reschedules its own trigger — at once if work remains, else after
 * the step's offset — so the chain lives in Quartz's JDBC store: it survives restarts and moves to
 * another processor when this one dies (the job requests recovery; the recovery run puts the
 * chain's trigger back).
 */
final class StepChains {
  static final String CONTEXT_KEY = "conveyor.stepChains";
  private static final Logger log = LoggerFactory.getLogger(StepChains.class);
  private static final Duration RETRY_AFTER_FAILURE = Duration.ofSeconds(5);

  private final Map<JobKey, Shard> shards = new ConcurrentHashMap<>();
  private final Map<String, StepRunner> runnersByStep = new LinkedHashMap<>();
  private final Set<String> pipelines;
  private final Clock clock;
  private volatile Predicate<ChainKey> drained = key -> false;

  /**
   * One chain this processor runs. A {@code draining} one is a shard beyond the step's current
   * {@code shards} (the count was lowered in a new version of the pipeline): it still runs until
   * its queue and retry set are empty, then its chain is deleted.
   */
  private record Shard(ChainKey key, StepRunner runner, boolean draining) {}

  /**
   * @param pipelines every pipeline loaded here (whose stale chains this processor may remove),
   *     including those whose steps are all disabled here
   */
  StepChains(List<StepRunner> runners, Set<String> pipelines, Clock clock) {
    this.pipelines = Set.copyOf(pipelines);
    this.clock = clock;
    for (StepRunner r : runners) {
      runnersByStep.put(r.pipeline().name() + "." + r.step().name(), r);
      for (int s = 0; s < r.step().shards(); s++) {
        ChainKey key = new ChainKey(r.pipeline().name(), r.step().name(), s);
        shards.put(key.jobKey(), new Shard(key, r, false));
      }
    }
  }

  /**
   * Makes Quartz's store match the pipeline files: adds the chains that are missing (several
   * processors may do this at once) and removes chains of steps that no longer exist in a pipeline
   * loaded here, once their queue is drained ({@code drained}); a chain of a pipeline not loaded
   * here belongs to another processor's files and is left alone. A chain of a shard beyond its
   * step's current count keeps running here until it is drained.
   */
  void reconcile(Scheduler scheduler, Predicate<ChainKey> drained) throws SchedulerException {
    this.drained = drained;
    for (Shard s : List.copyOf(shards.values())) {
      if (s.draining()) {
        continue;
      }
      s.runner().prepareQueues();
      ChainKey key = s.key();
      if (!scheduler.checkExists(key.jobKey())) {
        JobDetail job =
            JobBuilder.newJob(StepTickJob.class)
                .withIdentity(key.jobKey())
                .storeDurably()
                .requestRecovery()
                .withDescription(
                    "tick of step "
                        + key
                        + " (pipeline version "
                        + s.runner().pipeline().version()
                        + ")")
                .build();
        try {
          scheduler.addJob(job, false);
        } catch (ObjectAlreadyExistsException raced) {
          // another processor added it first
        }
      }
      if (!scheduler.checkExists(key.triggerKey())) {
        try {
          scheduler.scheduleJob(trigger(key, Duration.ZERO));
          log.atInfo()
              .addKeyValue("event", "chain_started")
              .addKeyValue("chain", key.toString())
              .log();
        } catch (ObjectAlreadyExistsException raced) {
          // another processor scheduled it first
        }
      }
    }
    for (String pipeline : pipelines) {
      for (JobKey job : scheduler.getJobKeys(GroupMatcher.jobGroupEquals(pipeline))) {
        ChainKey key = ChainKey.of(job);
        if (key == null || shards.containsKey(job)) {
          continue;
        }
        StepRunner runner = runnersByStep.get(key.pipeline() + "." + key.step());
        if (runner != null && !drained.test(key)) {
          // why: a shard the new version no longer has; its items were routed here by the old
          // count and must still be processed, so this chain runs until they are gone
          shards.put(job, new Shard(key, runner, true));
          if (!scheduler.checkExists(key.triggerKey())) {
            try {
              scheduler.scheduleJob(trigger(key, Duration.ZERO));
            } catch (ObjectAlreadyExistsException raced) {
              // another processor scheduled it first
            }
          }
          log.atInfo()
              .addKeyValue("event", "shard_draining")
              .addKeyValue("chain", key.toString())
              .addKeyValue("shards", runner.step().shards())
              .log();
          continue;
        }
        if (drained.test(key)) {
          scheduler.deleteJob(job);
          log.atInfo()
              .addKeyValue("event", "chain_removed")
              .addKeyValue("chain", key.toString())
              .log();
        } else {
          log.atWarn()
              .addKeyValue("event", "chain_kept")
              .addKeyValue("chain", key.toString())
              .addKeyValue(
                  "reason",
                  "its step is gone from the pipeline file but its queue still holds items")
              .log();
        }
      }
    }
  }

  /** One run of a chain: the tick, then the next link. */
  void run(JobKey job, Scheduler scheduler) throws SchedulerException {
    Shard shard = shards.get(job);
    ChainKey key = shard != null ? shard.key() : ChainKey.of(job);
    if (shard == null) {
      // why: a chain of a step this processor does not run (disabled here, or from other files);
      // leave it to a processor that does, by putting the link back a little later
      if (key != null) {
        schedule(scheduler, key, RETRY_AFTER_FAILURE);
      }
      return;
    }
    Thread me = Thread.currentThread();
    String name = me.getName();
    me.setName("step-" + key);
    Duration next;
    try {
      next = shard.runner().tick(key.shard());
    } catch (RuntimeException e) {
      next = RETRY_AFTER_FAILURE;
      log.atWarn()
          .addKeyValue("event", "tick_failed")
          .addKeyValue("chain", key.toString())
          .addKeyValue("retry_in", next)
          .addKeyValue("error", String.valueOf(e.getMessage()))
          .log();
    } finally {
      me.setName(name);
    }
    if (shard.draining() && drainedNow(key)) {
      shards.remove(job);
      scheduler.deleteJob(job);
      log.atInfo()
          .addKeyValue("event", "chain_removed")
          .addKeyValue("chain", key.toString())
          .addKeyValue("reason", "shard drained after the shard count was lowered")
          .log();
      return;
    }
    schedule(scheduler, key, next);
  }

  private boolean drainedNow(ChainKey key) {
    try {
      return drained.test(key);
    } catch (RuntimeException e) {
      // why: Redis down; the chain simply runs again and is looked at next time
      return false;
    }
  }

  private void schedule(Scheduler scheduler, ChainKey key, Duration delay)
      throws SchedulerException {
    Trigger next = trigger(key, delay);
    if (scheduler.rescheduleJob(next.getKey(), next) == null) {
      // why: the trigger is gone (this run is Quartz's recovery of a dead node's tick)
      try {
        scheduler.scheduleJob(next);
      } catch (ObjectAlreadyExistsException raced) {
        scheduler.rescheduleJob(next.getKey(), next);
      }
    }
  }

  private Trigger trigger(ChainKey key, Duration delay) {
    return key.link(clock.instant(), delay);
  }
}
