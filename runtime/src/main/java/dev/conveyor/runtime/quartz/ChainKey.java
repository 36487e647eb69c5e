package dev.conveyor.runtime.quartz;

import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.quartz.JobBuilder;
import org.quartz.JobDetail;
import org.quartz.JobKey;
import org.quartz.SimpleScheduleBuilder;
import org.quartz.Trigger;
import org.quartz.TriggerBuilder;
import org.quartz.TriggerKey;

/**
 * The Quartz names of one step shard's chain: job {@code <step>.<shard>} in group {@code
 * <pipeline>}, its trigger {@code <step>.<shard>} in group {@code <pipeline>.<step>} — one trigger
 * group per step, so pausing the group suspends every shard of the step, and a link rescheduled
 * while it is paused is stored paused too.
 */
public record ChainKey(String pipeline, String step, int shard) {

  public JobKey jobKey() {
    return JobKey.jobKey(step + "." + shard, pipeline);
  }

  public TriggerKey triggerKey() {
    return TriggerKey.triggerKey(step + "." + shard, triggerGroup(pipeline, step));
  }

  public static String triggerGroup(String pipeline, String step) {
    return pipeline + "." + step;
  }

  /**
   * The chain's job: a durable {@link StepTickJob} that requests recovery, so that Quartz runs it
   * again on another node when the one running it dies (that run puts the chain's link back).
   */
  public JobDetail job(String description) {
    return JobBuilder.newJob(StepTickJob.class)
        .withIdentity(jobKey())
        .storeDurably()
        .requestRecovery()
        .withDescription(description)
        .build();
  }

  /** The chain a job belongs to, or null for a job that is not a chain of ours. */
  public static ChainKey of(JobKey job) {
    String name = job.getName();
    int dot = name.lastIndexOf('.');
    if (dot <= 0) {
      return null;
    }
    try {
      return new ChainKey(
          job.getGroup(), name.substring(0, dot), Integer.parseInt(name.substring(dot + 1)));
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /**
   * The next link of the chain: a one-shot trigger {@code delay} from now that fires even when it
   * could not fire on time (all threads busy, a node down, PostgreSQL away).
   *
   * <p>why: it ignores Quartz's misfire policy. A trigger with a policy that is more than the
   * misfire threshold (15 s) late is not acquired until Quartz's misfire handler, which runs once
   * per threshold, has seen to it: after an outage of PostgreSQL every chain would stand still for
   * up to 15 s more. Ignoring the policy, a late link is simply acquired as soon as possible.
   */
  public Trigger link(Instant now, Duration delay) {
    return TriggerBuilder.newTrigger()
        .withIdentity(triggerKey())
        .forJob(jobKey())
        .startAt(Date.from(now.plus(delay)))
        .withSchedule(
            SimpleScheduleBuilder.simpleSchedule().withMisfireHandlingInstructionIgnoreMisfires())
        .build();
  }

  @Override
  public String toString() {
    return pipeline + "." + step + "." + shard;
  }
}
