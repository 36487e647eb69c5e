package dev.conveyor.processor;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;

/**
 * The meters of one step of one pipeline (tags {@code pipeline} and {@code step}, never a task or a
 * shard): counters of items, failures and dead items, and the histograms Prometheus computes
 * quantiles from (tick time, batch time, item time, batch size), and the wait to fill a batch.
 */
record StepMeters(
    Counter processed,
    Counter failed,
    Counter dead,
    Counter finished,
    Timer tick,
    Timer batch,
    Timer item,
    DistributionSummary batchItems,
    Timer batchWait) {

  static StepMeters of(MeterRegistry registry, String pipeline, String step) {
    String[] tags = {"pipeline", pipeline, "step", step};
    return new StepMeters(
        registry.counter("conveyor_processor_items", tags),
        registry.counter("conveyor_processor_item_failures", tags),
        registry.counter("conveyor_processor_dead_items", tags),
        registry.counter("conveyor_processor_tasks_finished", "pipeline", pipeline),
        Timer.builder("conveyor_processor_tick")
            .description("one tick of a step on a shard, its wait on an idle queue included")
            .tags(tags)
            .publishPercentileHistogram()
            .maximumExpectedValue(Duration.ofMinutes(5))
            .register(registry),
        Timer.builder("conveyor_processor_batch")
            .description("one batch of a step's queue entries: read inputs, work, record, ack")
            .tags(tags)
            .publishPercentileHistogram()
            .maximumExpectedValue(Duration.ofMinutes(5))
            .register(registry),
        Timer.builder("conveyor_processor_item")
            .description("the step's work on a batch divided by its items, once per item")
            .tags(tags)
            .publishPercentileHistogram()
            .maximumExpectedValue(Duration.ofMinutes(1))
            .register(registry),
        DistributionSummary.builder("conveyor_processor_batch_items")
            .description("queue entries per batch")
            .tags(tags)
            .serviceLevelObjectives(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
            .register(registry),
        Timer.builder("conveyor_processor_batch_wait")
            .description("how long a tick waited to fill a batch of new entries (batch_wait)")
            .tags(tags)
            .register(registry));
  }

  /** Records the step's work on {@code items} items that took {@code nanos} together. */
  void worked(int items, long nanos) {
    if (items == 0) {
      return;
    }
    long each = nanos / items;
    for (int i = 0; i < items; i++) {
      item.record(Duration.ofNanos(each));
    }
  }
}
