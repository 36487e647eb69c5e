package dev.conveyor.runtime.quartz;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.reflect.Proxy;
import java.util.Date;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.quartz.JobExecutionContext;

class QuartzMetersTest {
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final QuartzMeters meters = new QuartzMeters(registry);

  @Test
  void firesAreCountedWithHowLateTheyWereAndRecoveriesApart() {
    meters.triggerFired(null, context(false, 1_000, 1_250));
    meters.triggerFired(null, context(true, 2_000, 2_000));

    assertThat(registry.get("conveyor_quartz_triggers_fired").counter().count()).isEqualTo(2);
    assertThat(registry.get("conveyor_quartz_jobs_recovered").counter().count()).isEqualTo(1);
    assertThat(registry.get("conveyor_quartz_fire_delay").timer().max(TimeUnit.MILLISECONDS))
        .isEqualTo(250);
    assertThat(meters.vetoJobExecution(null, context(false, 0, 0))).isFalse();
  }

  @Test
  void misfiresAreCounted() {
    meters.triggerMisfired(null);

    assertThat(registry.get("conveyor_quartz_triggers_misfired").counter().count()).isEqualTo(1);
  }

  /** A context with only what the meters read. */
  private static JobExecutionContext context(boolean recovering, long scheduled, long fired) {
    return (JobExecutionContext)
        Proxy.newProxyInstance(
            QuartzMetersTest.class.getClassLoader(),
            new Class<?>[] {JobExecutionContext.class},
            (proxy, method, args) ->
                switch (method.getName()) {
                  case "isRecovering" -> recovering;
                  case "getScheduledFireTime" -> new Date(scheduled);
                  case "getFireTime" -> new Date(fired);
                  default -> throw new UnsupportedOperationException(method.getName());
                });
  }
}
