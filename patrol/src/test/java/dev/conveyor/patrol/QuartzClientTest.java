package dev.conveyor.patrol;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.runtime.quartz.StepTickJob;
import org.junit.jupiter.api.Test;
import org.quartz.DisallowConcurrentExecution;
import org.quartz.Job;

/** The patrol's stand-in for the processors' job class, which it does not carry. */
class QuartzClientTest {

  @Test
  void theStandInIsNamedAndNonConcurrentAsTheProcessorsTickJob() {
    assertThat(QuartzClient.TICK_JOB_CLASS).isEqualTo(StepTickJob.class.getName());
    assertThat(StepTickJob.class.isAnnotationPresent(DisallowConcurrentExecution.class)).isTrue();
    assertThat(
            QuartzClient.TickJobStandIn.class.isAnnotationPresent(
                DisallowConcurrentExecution.class))
        .isTrue();
  }

  @Test
  void theJobStoreLoadsTheStandInForTheTickJobAndRealClassesForTheRest() throws Exception {
    QuartzClient.StandInClassLoadHelper classes = new QuartzClient.StandInClassLoadHelper();
    classes.initialize();

    assertThat(classes.loadClass(QuartzClient.TICK_JOB_CLASS, Job.class))
        .isEqualTo(QuartzClient.TickJobStandIn.class);
    assertThat(classes.loadClass("org.quartz.impl.jdbcjobstore.PostgreSQLDelegate").getName())
        .isEqualTo("org.quartz.impl.jdbcjobstore.PostgreSQLDelegate");
  }
}
