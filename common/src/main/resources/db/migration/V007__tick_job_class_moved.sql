-- The chains' tick job moved from the processor module to the runtime module's Quartz package
-- (dev.conveyor.runtime.quartz.StepTickJob). Quartz stores each job's class name: rename it, so
-- that the chains stored by an earlier version keep running. Stop every processor of the earlier
-- version before starting the new ones (CHANGELOG.md).
UPDATE conveyor.qrtz_job_details
SET job_class_name = 'dev.conveyor.runtime.quartz.StepTickJob'
WHERE job_class_name = 'dev.conveyor.processor.StepTickJob';
