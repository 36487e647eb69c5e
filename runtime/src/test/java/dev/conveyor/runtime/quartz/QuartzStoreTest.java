package dev.conveyor.runtime.quartz;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.quartz.DisallowConcurrentExecution;
import org.quartz.Job;
import org.quartz.JobDetail;
import org.quartz.impl.jdbcjobstore.JobStoreTX;
import org.quartz.simpl.CascadingClassLoadHelper;

/** The store the processors' scheduler and patrol's client share, and the chains' job in it. */
class QuartzStoreTest {

  @Test
  void aJobStoreBuiltByHandHasTheSettingsTheSchedulerReadsAsProperties() throws Exception {
    Properties p = QuartzStore.properties("node-1", "pool-1");
    JobStoreTX store = QuartzStore.jobStore("node-1", "pool-1");

    assertThat(p.getProperty("org.quartz.scheduler.instanceName"))
        .isEqualTo(store.getInstanceName())
        .isEqualTo("conveyor");
    assertThat(p.getProperty("org.quartz.scheduler.instanceId")).isEqualTo(store.getInstanceId());
    assertThat(p.getProperty("org.quartz.jobStore.class")).isEqualTo(store.getClass().getName());
    assertThat(p.getProperty("org.quartz.jobStore.driverDelegateClass"))
        .isEqualTo(store.getDriverDelegateClass())
        .isEqualTo("org.quartz.impl.jdbcjobstore.PostgreSQLDelegate");
    assertThat(p.getProperty("org.quartz.jobStore.tablePrefix"))
        .isEqualTo(store.getTablePrefix())
        .isEqualTo("conveyor.qrtz_");
    assertThat(p.getProperty("org.quartz.jobStore.isClustered"))
        .isEqualTo(Boolean.toString(store.isClustered()))
        .isEqualTo("true");
    assertThat(p.getProperty("org.quartz.jobStore.acquireTriggersWithinLock"))
        .isEqualTo(Boolean.toString(store.isAcquireTriggersWithinLock()))
        .isEqualTo("true");
    assertThat(p.getProperty("org.quartz.jobStore.useProperties"))
        .isEqualTo(Boolean.toString(store.canUseProperties()))
        .isEqualTo("true");
    assertThat(p.getProperty("org.quartz.jobStore.misfireThreshold"))
        .isEqualTo(Long.toString(store.getMisfireThreshold()))
        .isEqualTo("15000");
    assertThat(p.getProperty("org.quartz.jobStore.dataSource")).isEqualTo(store.getDataSource());
  }

  @Test
  void aChainsJobIsTheDurableRecoverableNonConcurrentTickJob() {
    JobDetail job = new ChainKey("ner", "person", 2).job("tick");

    assertThat(job.getKey()).isEqualTo(new ChainKey("ner", "person", 2).jobKey());
    assertThat(job.getJobClass()).isEqualTo(StepTickJob.class);
    assertThat(job.isDurable()).isTrue();
    assertThat(job.requestsRecovery()).isTrue();
    assertThat(job.isConcurrentExecutionDisallowed()).isTrue();
  }

  @Test
  void theJobStoreLoadsTheTickJobByTheClassNameTheMigrationsStore() throws Exception {
    CascadingClassLoadHelper classes = new CascadingClassLoadHelper();
    classes.initialize();

    // why: V007 renames the stored job class to this name; patrol's client loads it too
    Class<? extends Job> tick =
        classes.loadClass("dev.conveyor.runtime.quartz.StepTickJob", Job.class);
    assertThat(tick).isEqualTo(StepTickJob.class);
    assertThat(tick.isAnnotationPresent(DisallowConcurrentExecution.class)).isTrue();
    assertThat(classes.loadClass("org.quartz.impl.jdbcjobstore.PostgreSQLDelegate").getName())
        .isEqualTo("org.quartz.impl.jdbcjobstore.PostgreSQLDelegate");
  }
}
