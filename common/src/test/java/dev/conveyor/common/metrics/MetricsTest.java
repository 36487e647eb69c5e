package dev.conveyor.common.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class MetricsTest {
  private final List<PrometheusMeterRegistry> registries = new ArrayList<>();

  @AfterEach
  void closeRegistries() {
    registries.forEach(PrometheusMeterRegistry::close);
  }

  @Test
  void scrapeHasJvmMetersTaggedWithDaemonAndNode() {
    String scrape = create("processor", "node-1").scrape();

    assertThat(scrape.lines())
        .anySatisfy(line ->
            assertThat(line)
                .startsWith("jvm_memory_used_bytes{")
                .contains("daemon=\"processor\"", "node=\"node-1\"", "area=\"heap\""));
    assertThat(scrape)
        .contains(
            "jvm_threads_live_threads{",
            "process_uptime_seconds{",
            "jvm_classes_loaded_classes{",
            "system_cpu_count{");
  }

  @Test
  void meterRegisteredLaterAlsoCarriesTheTags() {
    var registry = create("patrol", "p-2");

    registry.counter("conveyor_parts_redriven").increment(3);

    assertThat(registry.scrape())
        .contains("conveyor_parts_redriven_total{daemon=\"patrol\",node=\"p-2\"} 3.0");
  }

  @Test
  void closingTwiceIsHarmless() {
    var registry = create("dispatcher", "d-1");

    registry.close();
    registry.close();

    assertThat(registry.isClosed()).isTrue();
  }

  @Test
  void blankNamesAreRefused() {
    assertThatThrownBy(() -> Metrics.create(" ", "n"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("daemon must not be blank");
    assertThatThrownBy(() -> Metrics.create("d", null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("nodeId must not be blank");
  }

  private PrometheusMeterRegistry create(String daemon, String nodeId) {
    var registry = Metrics.create(daemon, nodeId);
    registries.add(registry);
    return registry;
  }
}
