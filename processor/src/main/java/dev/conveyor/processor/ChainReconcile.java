package dev.conveyor.processor;

import dev.conveyor.processor.StepChains.Shard;
import dev.conveyor.runtime.quartz.ChainKey;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import org.quartz.JobKey;
import org.quartz.ObjectAlreadyExistsException;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;
import org.quartz.impl.matchers.GroupMatcher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes Quartz's store match the pipeline files when the processor starts: adds the chains that are
 * missing (several processors may do this at once) and removes chains of steps that no longer exist
 * in a pipeline loaded here, once their queue is drained; a chain of a pipeline not loaded here
 * belongs to another processor's files and is left alone. A chain of a shard beyond its step's
 * current count (lowered in a new version of the pipeline) is handed back to run until drained.
 */
final class ChainReconcile {
  private static final Logger log = LoggerFactory.getLogger(ChainReconcile.class);

  private final Clock clock;

  ChainReconcile(Clock clock) {
    this.clock = clock;
  }

  /**
   * @param shards the chains of the steps this processor runs
   * @param runnersByStep {@code <pipeline>.<step>} → its runner
   * @param pipelines every pipeline loaded here (whose stale chains this processor may remove)
   * @param drained whether a chain's queue holds nothing
   * @return the draining shards by job: beyond their step's current count, still holding items
   */
  Map<JobKey, Shard> reconcile(
      Scheduler scheduler,
      Collection<Shard> shards,
      Map<String, StepRunner> runnersByStep,
      Set<String> pipelines,
      Predicate<ChainKey> drained)
      throws SchedulerException {
    Set<JobKey> known = new HashSet<>();
    for (Shard s : List.copyOf(shards)) {
      known.add(s.key().jobKey());
      if (!s.draining()) {
        s.runner().prepareQueues();
        ensure(scheduler, s);
      }
    }
    Map<JobKey, Shard> draining = new LinkedHashMap<>();
    for (String pipeline : pipelines) {
      for (JobKey job : scheduler.getJobKeys(GroupMatcher.jobGroupEquals(pipeline))) {
        ChainKey key = ChainKey.of(job);
        if (key == null || known.contains(job)) {
          continue;
        }
        StepRunner runner = runnersByStep.get(key.pipeline() + "." + key.step());
        if (runner != null && !drained.test(key)) {
          // why: a shard the new version no longer has; its items were routed here by the old
          // count and must still be processed, so this chain runs until they are gone
          draining.put(job, new Shard(key, runner, true));
          known.add(job);
          if (!scheduler.checkExists(key.triggerKey())) {
            schedule(scheduler, key);
          }
          log.atInfo()
              .addKeyValue("event", "shard_draining")
              .addKeyValue("chain", key.toString())
              .addKeyValue("shards", runner.step().shards())
              .log();
        } else {
          removeIfDrained(scheduler, job, key, drained);
        }
      }
    }
    return draining;
  }

  /** The shard's job and its first link, unless they exist. */
  private void ensure(Scheduler scheduler, Shard s) throws SchedulerException {
    ChainKey key = s.key();
    if (!scheduler.checkExists(key.jobKey())) {
      try {
        scheduler.addJob(
            key.job(
                "tick of step "
                    + key
                    + " (pipeline version "
                    + s.runner().pipeline().version()
                    + ")"),
            false);
      } catch (ObjectAlreadyExistsException raced) {
        // another processor added it first
      }
    }
    if (!scheduler.checkExists(key.triggerKey()) && schedule(scheduler, key)) {
      log.atInfo().addKeyValue("event", "chain_started").addKeyValue("chain", key.toString()).log();
    }
  }

  /** The chain's first link, due now; false when another processor scheduled it first. */
  private boolean schedule(Scheduler scheduler, ChainKey key) throws SchedulerException {
    try {
      scheduler.scheduleJob(key.link(clock.instant(), Duration.ZERO));
      return true;
    } catch (ObjectAlreadyExistsException raced) {
      return false;
    }
  }

  private static void removeIfDrained(
      Scheduler scheduler, JobKey job, ChainKey key, Predicate<ChainKey> drained)
      throws SchedulerException {
    if (drained.test(key)) {
      scheduler.deleteJob(job);
      log.atInfo().addKeyValue("event", "chain_removed").addKeyValue("chain", key.toString()).log();
    } else {
      log.atWarn()
          .addKeyValue("event", "chain_kept")
          .addKeyValue("chain", key.toString())
          .addKeyValue(
              "reason", "its step is gone from the pipeline file but its queue still holds items")
          .log();
    }
  }
}
