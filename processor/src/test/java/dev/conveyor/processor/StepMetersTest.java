package dev.conveyor.processor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.common.metrics.Metrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class StepMetersTest {
  private final PrometheusMeterRegistry registry = Metrics.create("processor", "n1");

  @AfterEach
  void close() {
    registry.close();
  }

  @Test
  void aBatchsWorkIsRecordedOncePerItemAtItsShare() {
    StepMeters meters = StepMeters.of(registry, "ner", "tag");

    meters.worked(4, Duration.ofMillis(400).toNanos());
    meters.worked(0, 1_000);

    assertThat(meters.item().count()).isEqualTo(4);
    assertThat(meters.item().totalTime(TimeUnit.MILLISECONDS)).isEqualTo(400.0);
    assertThat(meters.item().max(TimeUnit.MILLISECONDS)).isEqualTo(100.0);
  }

  @Test
  void theTimersHaveBucketsForQuantilesAndTheCountersKeepTheirNames() {
    StepMeters meters = StepMeters.of(registry, "ner", "tag");
    meters.tick().record(Duration.ofMillis(20));
    meters.batch().record(Duration.ofMillis(10));
    meters.batchItems().record(7);
    meters.processed().increment();

    String scrape = registry.scrape();

    for (String histogram :
        new String[] {
          "conveyor_processor_tick_seconds_bucket",
          "conveyor_processor_batch_seconds_bucket",
          "conveyor_processor_item_seconds_bucket"
        }) {
      assertThat(scrape)
          .contains(
              histogram + "{daemon=\"processor\",node=\"n1\",pipeline=\"ner\",step=\"tag\",le=");
    }
    assertThat(scrape)
        .contains(
            "conveyor_processor_batch_items_bucket{daemon=\"processor\",node=\"n1\","
                + "pipeline=\"ner\",step=\"tag\",le=\"10.0\"} 1")
        .contains(
            "conveyor_processor_items_total{daemon=\"processor\",node=\"n1\",pipeline=\"ner\","
                + "step=\"tag\"} 1.0")
        .contains("conveyor_processor_dead_items_total{")
        .contains("conveyor_processor_item_failures_total{")
        .contains("conveyor_processor_tasks_finished_total{");
  }
}
