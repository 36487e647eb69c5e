package dev.conveyor.processor;

import org.quartz.JobKey;
import org.quartz.TriggerKey;

/**
 * The Quartz names of one step shard's chain: job {@code <step>.<shard>} in group {@code
 * <pipeline>}, its trigger {@code <step>.<shard>} in group {@code <pipeline>.<step>} — one trigger
 * group per step, so pausing the group suspends every shard of the step, and a link rescheduled
 * while it is paused is stored paused too.
 */
record ChainKey(String pipeline, String step, int shard) {

  JobKey jobKey() {
    return JobKey.jobKey(step + "." + shard, pipeline);
  }

  TriggerKey triggerKey() {
    return TriggerKey.triggerKey(step + "." + shard, triggerGroup(pipeline, step));
  }

  static String triggerGroup(String pipeline, String step) {
    return pipeline + "." + step;
  }

  /** The chain a job belongs to, or null for a job that is not a chain of ours. */
  static ChainKey of(JobKey job) {
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

  @Override
  public String toString() {
    return pipeline + "." + step + "." + shard;
  }
}
