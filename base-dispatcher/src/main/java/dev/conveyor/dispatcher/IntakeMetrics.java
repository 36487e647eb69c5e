package dev.conveyor.dispatcher;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;

/** The intake's counters, named {@code conveyor_dispatcher_*}. */
final class IntakeMetrics {
  private final MeterRegistry registry;
  private final Counter received;
  private final Counter duplicates;
  private final Counter heldSeconds;

  IntakeMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.received = registry.counter("conveyor_dispatcher_received");
    this.duplicates = registry.counter("conveyor_dispatcher_duplicates");
    this.heldSeconds = registry.counter("conveyor_dispatcher_held_seconds");
  }

  void received(int n) {
    received.increment(n);
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
