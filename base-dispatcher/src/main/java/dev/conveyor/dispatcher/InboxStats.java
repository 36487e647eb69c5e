package dev.conveyor.dispatcher;

import dev.conveyor.common.redis.GroupState;
import dev.conveyor.common.redis.StreamGroup;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Measures the inbox and its consumer group now and then (length, entries not yet read, entries
 * pending, each dispatcher's pending and idle time) for gauges and {@code /status}.
 */
final class InboxStats {
  private final Supplier<StreamGroup> inbox;
  private final AtomicLong length = new AtomicLong();
  private final AtomicLong lag = new AtomicLong();
  private final AtomicLong pending = new AtomicLong();
  private volatile GroupState last;

  InboxStats(Supplier<StreamGroup> inbox, MeterRegistry registry) {
    this.inbox = inbox;
    Gauge.builder("conveyor_dispatcher_inbox_length", length, AtomicLong::get).register(registry);
    Gauge.builder("conveyor_dispatcher_inbox_lag", lag, AtomicLong::get).register(registry);
    Gauge.builder("conveyor_dispatcher_inbox_pending", pending, AtomicLong::get).register(registry);
  }

  void round() {
    GroupState s = inbox.get().state();
    length.set(s.length());
    lag.set(s.lag());
    pending.set(s.pending());
    last = s;
  }

  /** The last measurement, or null before the first. */
  GroupState last() {
    return last;
  }
}
