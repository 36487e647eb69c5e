package dev.conveyor.processor;

import java.time.Clock;
import java.time.Duration;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.quartz.JobBuilder;
import org.quartz.JobDetail;
import org.quartz.JobKey;
import org.quartz.ObjectAlreadyExistsException;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;
import org.quartz.SimpleScheduleBuilder;
import org.quartz.Trigger;
import org.quartz.TriggerBuilder;
import org.quartz.TriggerKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The chains of step ticks in Quartz: one durable job and one trigger per (pipeline, step, shard),
 * job {@code <step>.<shard>} in group {@code <pipeline>}. Each run reschedules its own trigger — at
 * once if work remains, else after the step's offset — so the chain lives in Quartz's JDBC store:
 * it survives restarts and moves to another processor when this one dies (the job requests
 * recovery; the recovery run puts the chain's trigger back).
 */
final class StepChains {
  static final String CONTEXT_KEY = "conveyor.stepChains";
  private static final Logger log = LoggerFactory.getLogger(StepChains.class);
  private static final Duration RETRY_AFTER_FAILURE = Duration.ofSeconds(5);

  private final Map<JobKey, Shard> shards = new LinkedHashMap<>();
  private final Clock clock;

  private record Shard(StepRunner runner, int shard) {}

  StepChains(List<StepRunner> runners, Clock clock) {
    this.clock = clock;
    for (StepRunner r : runners) {
      for (int s = 0; s < r.step().shards(); s++) {
        shards.put(jobKey(r, s), new Shard(r, s));
      }
    }
  }

  static JobKey jobKey(StepRunner runner, int shard) {
    return JobKey.jobKey(runner.step().name() + "." + shard, runner.pipeline().name());
  }

  static TriggerKey triggerKey(JobKey job) {
    return TriggerKey.triggerKey(job.getName(), job.getGroup());
  }

  /** Adds the jobs and triggers that are missing; several processors may do this at once. */
  void reconcile(Scheduler scheduler) throws SchedulerException {
    for (Map.Entry<JobKey, Shard> e : shards.entrySet()) {
      JobKey key = e.getKey();
      e.getValue().runner().prepareQueues();
      if (!scheduler.checkExists(key)) {
        JobDetail job =
            JobBuilder.newJob(StepTickJob.class)
                .withIdentity(key)
                .storeDurably()
                .requestRecovery()
                .withDescription("tick of " + key.getGroup() + "." + key.getName())
                .build();
        try {
          scheduler.addJob(job, false);
        } catch (ObjectAlreadyExistsException raced) {
          // another processor added it first
        }
      }
      if (!scheduler.checkExists(triggerKey(key))) {
        try {
          scheduler.scheduleJob(trigger(key, Duration.ZERO));
          log.atInfo()
              .addKeyValue("event", "chain_started")
              .addKeyValue("pipeline", key.getGroup())
              .addKeyValue("job", key.getName())
              .log();
        } catch (ObjectAlreadyExistsException raced) {
          // another processor scheduled it first
        }
      }
    }
  }

  /** One run of a chain: the tick, then the next link. */
  void run(JobKey key, Scheduler scheduler) throws SchedulerException {
    Shard shard = shards.get(key);
    if (shard == null) {
      // why: a job of a step this processor does not run (removed or disabled here); leave its
      // chain to a processor that does, by putting the link back a little later
      schedule(scheduler, key, RETRY_AFTER_FAILURE);
      return;
    }
    Thread me = Thread.currentThread();
    String name = me.getName();
    me.setName("step-" + key.getGroup() + "." + key.getName().replace('.', '-'));
    Duration next;
    try {
      next = shard.runner().tick(shard.shard());
    } catch (RuntimeException e) {
      next = RETRY_AFTER_FAILURE;
      log.atWarn()
          .addKeyValue("event", "tick_failed")
          .addKeyValue("pipeline", key.getGroup())
          .addKeyValue("job", key.getName())
          .addKeyValue("retry_in", next)
          .addKeyValue("error", String.valueOf(e.getMessage()))
          .log();
    } finally {
      me.setName(name);
    }
    schedule(scheduler, key, next);
  }

  private void schedule(Scheduler scheduler, JobKey key, Duration delay) throws SchedulerException {
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

  private Trigger trigger(JobKey key, Duration delay) {
    return TriggerBuilder.newTrigger()
        .withIdentity(triggerKey(key))
        .forJob(key)
        .startAt(Date.from(clock.instant().plus(delay)))
        // why: a link that could not fire on time (all threads busy, a node down) still fires
        .withSchedule(
            SimpleScheduleBuilder.simpleSchedule().withMisfireHandlingInstructionFireNow())
        .build();
  }
}
