package dev.conveyor.runtime.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StepRatesTest {
  private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");

  @Test
  void theItemsCounterIsSummedOverProcessorsByStep() {
    Map<String, Double> totals = new HashMap<>();
    StepRates.addScrape(
        """
        # HELP conveyor_processor_items_total
        # TYPE conveyor_processor_items_total counter
        conveyor_processor_items_total{application="processor",node="a",pipeline="ner",step="split",} 10.0
        conveyor_processor_items_total{application="processor",node="a",pipeline="ner",step="deliver",} 4.0
        conveyor_processor_item_failures_total{pipeline="ner",step="split",} 99.0
        """,
        totals);
    StepRates.addScrape(
        "conveyor_processor_items_total{pipeline=\"ner\",step=\"split\"} 5\n", totals);

    assertThat(totals).containsOnly(Map.entry("ner.split", 15.0), Map.entry("ner.deliver", 4.0));
  }

  @Test
  void theRateIsTheGrowthSinceTheLastLookAndNeverNegative() {
    StepRates rates = new StepRates();
    assertThat(rates.update(T0, Map.of("p.s", 100.0, "p.t", 50.0))).isEmpty();

    Map<String, Double> later = rates.update(T0.plusSeconds(10), Map.of("p.s", 150.0, "p.t", 10.0));

    assertThat(later).containsOnly(Map.entry("p.s", 5.0), Map.entry("p.t", 0.0));
    assertThat(ConsolePages.rate(later.get("p.s"))).isEqualTo("5.0/s");
    assertThat(ConsolePages.rate(null)).isEqualTo("—");
  }
}
