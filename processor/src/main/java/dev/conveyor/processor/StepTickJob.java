package dev.conveyor.processor;

import org.quartz.DisallowConcurrentExecution;
import org.quartz.Job;
import org.quartz.JobExecutionContext;
import org.quartz.JobExecutionException;
import org.quartz.SchedulerException;

/**
 * The Quartz job of one (pipeline, step, shard): a thin adapter that hands the run to {@link
 * StepChains}. Never two at once for the same shard, across the whole cluster.
 */
@DisallowConcurrentExecution
public final class StepTickJob implements Job {
  @Override
  public void execute(JobExecutionContext context) throws JobExecutionException {
    try {
      StepChains chains =
          (StepChains) context.getScheduler().getContext().get(StepChains.CONTEXT_KEY);
      chains.run(context.getJobDetail().getKey(), context.getScheduler());
    } catch (SchedulerException e) {
      throw new JobExecutionException(e);
    }
  }
}
