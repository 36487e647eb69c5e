package dev.conveyor.patrol;

import dev.conveyor.common.test.TestServices;
import dev.conveyor.runtime.quartz.ChainKey;
import dev.conveyor.runtime.quartz.StepTickJob;

/** Rows of the Quartz store as the processors write them, for tests without a processor. */
final class TickJobs {
  private TickJobs() {}

  /** A chain's durable job, with the processors' job class. */
  static void insert(TestServices services, ChainKey key) {
    services.sql(
        """
        INSERT INTO conveyor.qrtz_job_details
          (sched_name, job_name, job_group, description, job_class_name, is_durable,
           is_nonconcurrent, is_update_data, requests_recovery, job_data)
        VALUES ('conveyor', '%s', '%s', 'tick', '%s', true, true, false, true, NULL)
        """
            .formatted(
                key.jobKey().getName(), key.jobKey().getGroup(), StepTickJob.class.getName()));
  }

  /**
   * A firing of the chain by node {@code node}: EXECUTING names the job, ACQUIRED (a link taken and
   * not yet fired) names no job, as Quartz writes them.
   */
  static void fired(TestServices services, ChainKey key, String node, String state) {
    boolean running = state.equals("EXECUTING");
    services.sql(
        """
        INSERT INTO conveyor.qrtz_fired_triggers
          (sched_name, entry_id, trigger_name, trigger_group, instance_name, fired_time,
           sched_time, priority, state, job_name, job_group, is_nonconcurrent, requests_recovery)
        VALUES ('conveyor', '%s', '%s', '%s', '%s', 0, 0, 5, '%s', %s, %s, %s, %s)
        """
            .formatted(
                node + "-" + key,
                key.triggerKey().getName(),
                key.triggerKey().getGroup(),
                node,
                state,
                running ? "'" + key.jobKey().getName() + "'" : "NULL",
                running ? "'" + key.jobKey().getGroup() + "'" : "NULL",
                running,
                running));
  }

  /** Sets the state of the chain's trigger, as a fault would. */
  static void setState(TestServices services, ChainKey key, String state) {
    services.sql(
        "UPDATE conveyor.qrtz_triggers SET trigger_state = '%s' WHERE trigger_name = '%s' AND trigger_group = '%s'"
            .formatted(state, key.triggerKey().getName(), key.triggerKey().getGroup()));
  }
}
