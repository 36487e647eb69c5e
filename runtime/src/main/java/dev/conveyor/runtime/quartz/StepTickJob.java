package dev.conveyor.runtime.quartz;

import org.quartz.DisallowConcurrentExecution;
import org.quartz.Job;
import org.quartz.JobExecutionContext;
import org.quartz.JobExecutionException;
import org.quartz.SchedulerException;

/**
 * The Quartz job of one (pipeline, step, shard): a thin adapter that hands the run to the
 * processor's {@link ChainRunner}. Never two at once for the same shard, across the whole cluster.
 * Its class name is stored with every chain's job in {@code qrtz_job_details}.
 */
@DisallowConcurrentExecution
public final class StepTickJob implements Job {
  @Override
  public void execute(JobExecutionContext context) throws JobExecutionException {
    try {
      ChainRunner chains =
          (ChainRunner) context.getScheduler().getContext().get(ChainRunner.CONTEXT_KEY);
      chains.run(context.getJobDetail().getKey(), context.getScheduler());
    } catch (SchedulerException e) {
      throw new JobExecutionException(e);
    }
  }
}
