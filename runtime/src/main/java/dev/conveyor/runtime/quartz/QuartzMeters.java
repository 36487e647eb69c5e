package dev.conveyor.runtime.quartz;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import org.quartz.JobExecutionContext;
import org.quartz.Trigger;
import org.quartz.Trigger.CompletedExecutionInstruction;
import org.quartz.TriggerListener;

/**
 * Counts what a scheduler fires: triggers fired, misfired (Quartz's misfire handler found them
 * later than the threshold), jobs run again after their node died (recovering), and how late each
 * fire was against its scheduled time. No tags of its own: a chain's name would be one series per
 * shard.
 */
public final class QuartzMeters implements TriggerListener {
  private final Counter fired;
  private final Counter misfired;
  private final Counter recovered;
  private final Timer delay;

  public QuartzMeters(MeterRegistry registry) {
    this.fired =
        Counter.builder("conveyor_quartz_triggers_fired")
            .description("triggers this scheduler fired")
            .register(registry);
    this.misfired =
        Counter.builder("conveyor_quartz_triggers_misfired")
            .description("triggers Quartz's misfire handler found late")
            .register(registry);
    this.recovered =
        Counter.builder("conveyor_quartz_jobs_recovered")
            .description("jobs run again because the node running them died")
            .register(registry);
    this.delay =
        Timer.builder("conveyor_quartz_fire_delay")
            .description("how much later than scheduled a trigger fired")
            .publishPercentileHistogram()
            .maximumExpectedValue(Duration.ofMinutes(5))
            .register(registry);
  }

  @Override
  public String getName() {
    return "conveyor-meters";
  }

  @Override
  public void triggerFired(Trigger trigger, JobExecutionContext context) {
    fired.increment();
    if (context.isRecovering()) {
      recovered.increment();
    }
    if (context.getScheduledFireTime() != null && context.getFireTime() != null) {
      long late = context.getFireTime().getTime() - context.getScheduledFireTime().getTime();
      delay.record(Duration.ofMillis(Math.max(0, late)));
    }
  }

  @Override
  public boolean vetoJobExecution(Trigger trigger, JobExecutionContext context) {
    return false;
  }

  @Override
  public void triggerMisfired(Trigger trigger) {
    misfired.increment();
  }

  @Override
  public void triggerComplete(
      Trigger trigger,
      JobExecutionContext context,
      CompletedExecutionInstruction triggerInstructionCode) {}
}
