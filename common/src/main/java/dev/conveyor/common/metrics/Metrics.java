package dev.conveyor.common.metrics;

import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmInfoMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.concurrent.atomic.AtomicBoolean;

/** Creates a daemon's meter registry. */
public final class Metrics {
  private Metrics() {}

  /**
   * A Prometheus registry whose meters all carry the tags {@code daemon} and {@code node}, with the
   * JVM and process meters bound. {@link PrometheusMeterRegistry#close() close()} it on shutdown:
   * that also removes the GC notification listeners. Closing twice is harmless.
   */
  public static PrometheusMeterRegistry create(String daemon, String nodeId) {
    requireText(daemon, "daemon");
    requireText(nodeId, "nodeId");
    var gcMetrics = new JvmGcMetrics();
    var registry = new ClosingRegistry(gcMetrics);
    // why: common tags only reach meters registered after they are set, so they come first
    registry.config().commonTags("daemon", daemon, "node", nodeId);
    new ClassLoaderMetrics().bindTo(registry);
    new JvmMemoryMetrics().bindTo(registry);
    gcMetrics.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new JvmInfoMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    // registers nothing where the OS does not report file descriptors
    new FileDescriptorMetrics().bindTo(registry);
    return registry;
  }

  private static void requireText(String value, String name) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(name + " must not be blank");
    }
  }

  /** Closes the binders that hold resources together with the registry. */
  private static final class ClosingRegistry extends PrometheusMeterRegistry {
    private final JvmGcMetrics gcMetrics;
    private final AtomicBoolean binderClosed = new AtomicBoolean();

    ClosingRegistry(JvmGcMetrics gcMetrics) {
      super(PrometheusConfig.DEFAULT);
      this.gcMetrics = gcMetrics;
    }

    @Override
    public void close() {
      if (!binderClosed.getAndSet(true)) {
        gcMetrics.close();
      }
      super.close();
    }
  }
}
