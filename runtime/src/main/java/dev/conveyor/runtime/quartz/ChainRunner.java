package dev.conveyor.runtime.quartz;

import org.quartz.JobKey;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;

/**
 * What runs one link of a step's chain: the tick, then the next link. The processor puts its
 * implementation in the scheduler's context under {@link #CONTEXT_KEY}, where {@link StepTickJob}
 * finds it.
 */
public interface ChainRunner {
  /** The key of the runner in Quartz's {@code SchedulerContext}. */
  String CONTEXT_KEY = "conveyor.stepChains";

  /** One run of the chain of {@code job}. */
  void run(JobKey job, Scheduler scheduler) throws SchedulerException;
}
