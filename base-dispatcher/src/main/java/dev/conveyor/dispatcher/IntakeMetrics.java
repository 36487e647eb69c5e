package dev.conveyor.dispatcher;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;

/** The intake's counters, named {@code conveyor_dispatcher_*}. */
final class IntakeMetrics {
  private final MeterRegistry registry;
  private final Counter received;
  private final Counter duplicates;
  private final Counter heldSeconds;
  private final DistributionSummary batchMessages;

  IntakeMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.received = registry.counter("conveyor_dispatcher_received");
    this.duplicates = registry.counter("conveyor_dispatcher_duplicates");
    this.heldSeconds = registry.counter("conveyor_dispatcher_held_seconds");
    this.batchMessages =
        DistributionSummary.builder("conveyor_dispatcher_batch_messages")
            .description("inbox entries per intake batch")
            .serviceLevelObjectives(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
            .register(registry);
  }

  /** A batch of {@code n} entries was read. */
  void received(int n) {
    received.increment(n);
    batchMessages.record(n);
  }

  void duplicate() {
    duplicates.increment();
  }

  void rejected(RejectReason reason) {
    registry.counter("conveyor_dispatcher_rejected", "reason", reason.code()).increment();
  }

  void dispatched(String pipeline, int parts) {
    registry.counter("conveyor_dispatcher_tasks_dispatched", "pipeline", pipeline).increment();
    registry.counter("conveyor_dispatcher_parts_dispatched", "pipeline", pipeline).increment(parts);
  }

  void held(Duration d) {
    heldSeconds.increment(d.toMillis() / 1000.0);
  }
}
