package dev.conveyor.runtime.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class StepTimesTest {
  private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");
  private static final double INF = Double.POSITIVE_INFINITY;

  @Test
  void theBucketsOfTheItemTimeHistogramAreReadByStepAndBound() {
    var steps =
        StepTimes.parse(
            """
            # HELP conveyor_processor_item_seconds the step's work on a batch divided by its items
            # TYPE conveyor_processor_item_seconds histogram
            conveyor_processor_item_seconds_bucket{daemon="processor",le="0.001",node="a",pipeline="ner",step="split"} 3
            conveyor_processor_item_seconds_bucket{daemon="processor",le="0.002",node="a",pipeline="ner",step="split"} 7
            conveyor_processor_item_seconds_bucket{daemon="processor",le="+Inf",node="a",pipeline="ner",step="split"} 8
            conveyor_processor_item_seconds_count{daemon="processor",node="a",pipeline="ner",step="split"} 8
            conveyor_processor_item_seconds_sum{daemon="processor",node="a",pipeline="ner",step="split"} 0.02
            conveyor_processor_batch_seconds_bucket{le="0.001",pipeline="ner",step="split"} 99
            conveyor_processor_item_seconds_bucket{pipeline="ner",step="deliver",le="0.001",} 1.0
            """);

    assertThat(steps).containsOnlyKeys("ner.split", "ner.deliver");
    assertThat(steps.get("ner.split"))
        .containsExactly(Map.entry(0.001, 3.0), Map.entry(0.002, 7.0), Map.entry(INF, 8.0));
  }

  @Test
  void aRealScrapeOfTheProcessorsTimerGivesItsP99() {
    // the timer as the processor's StepMeters builds it, scraped as its /metrics serves it
    var registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Timer item =
        Timer.builder("conveyor_processor_item")
            .tags("pipeline", "ner", "step", "split")
            .publishPercentileHistogram()
            .maximumExpectedValue(Duration.ofMinutes(1))
            .register(registry);
    StepTimes times = new StepTimes();
    times.update(T0, Map.of("a@t1", StepTimes.parse(registry.scrape())));
    for (int i = 0; i < 99; i++) {
      item.record(Duration.ofMillis(5));
    }
    item.record(Duration.ofSeconds(2));

    var steps = StepTimes.parse(registry.scrape());
    Map<String, Double> p99 = times.update(T0.plusSeconds(10), Map.of("a@t1", steps));

    assertThat(steps.get("ner.split").lastEntry()).isEqualTo(Map.entry(INF, 100.0));
    // rank 99 is the last of the 99 items of 5 ms: the upper bound of their bucket, at most a
    // third above them (Micrometer's buckets grow by about a third)
    assertThat(p99.get("ner.split")).isBetween(0.005, 0.007);
  }

  @Test
  void theQuantileIsInterpolatedInsideItsBucketAsPrometheusDoes() {
    // 100 items: 50 up to 10 ms, 40 in (10, 20] ms, 10 in (20, 40] ms
    var b = buckets(0.010, 50, 0.020, 90, 0.040, 100, INF, 100);

    // rank 99 is the 9th of the 10 items in (20, 40]: 20 + 20 × 9/10 ms
    assertThat(StepTimes.quantile(0.99, b)).isCloseTo(0.038, within(1e-9));
    // rank 50 is the last item of the first bucket, which starts at 0
    assertThat(StepTimes.quantile(0.5, b)).isCloseTo(0.010, within(1e-9));
    // a rank in +Inf is the highest finite bound
    assertThat(StepTimes.quantile(0.99, buckets(0.010, 50, INF, 100))).isEqualTo(0.010);
    assertThat(StepTimes.quantile(0.99, buckets(0.010, 0, INF, 0))).isNaN();
  }

  @Test
  void theP99IsOfTheGrowthSummedOverProcessorsSinceTheLastLook() {
    StepTimes times = new StepTimes();
    assertThat(
            times.update(
                T0,
                Map.of(
                    "a@t1", Map.of("p.s", buckets(0.01, 1000, 0.02, 1000, INF, 1000)),
                    "b@t1", Map.of("p.s", buckets(0.01, 5, 0.02, 5, INF, 5)))))
        .isEmpty();

    // a: 50 more, all ≤ 10 ms; b: 50 more, 40 ≤ 10 ms and 10 in (10, 20] ms
    Map<String, Double> p99 =
        times.update(
            T0.plusSeconds(10),
            Map.of(
                "a@t1", Map.of("p.s", buckets(0.01, 1050, 0.02, 1050, INF, 1050)),
                "b@t1", Map.of("p.s", buckets(0.01, 45, 0.02, 55, INF, 55))));

    // 100 items, 90 ≤ 10 ms: rank 99 is the 9th of the 10 in (10, 20]
    assertThat(p99).containsOnlyKeys("p.s");
    assertThat(p99.get("p.s")).isCloseTo(0.019, within(1e-9));
    assertThat(ConsolePages.seconds(p99.get("p.s"))).isEqualTo("19 ms");
  }

  @Test
  void aProcessorWhoseCountsWentBackOrThatRestartedAddsNothing() {
    StepTimes times = new StepTimes();
    times.update(
        T0,
        Map.of(
            "a@t1", Map.of("p.s", buckets(0.01, 100, 1.0, 100, INF, 100)),
            "b@t1", Map.of("p.s", buckets(0.01, 100, 1.0, 200, INF, 200))));

    // a's counters were reset (same start time: the heartbeat has not said yet); b restarted
    Map<String, Double> p99 =
        times.update(
            T0.plusSeconds(10),
            Map.of(
                "a@t1", Map.of("p.s", buckets(0.01, 3, 1.0, 3, INF, 3)),
                "b@t2", Map.of("p.s", buckets(0.01, 1, 1.0, 500, INF, 500))));
    assertThat(p99).isEmpty();

    // the next look compares with the counts after the reset: 10 more of a's, all ≤ 10 ms
    p99 =
        times.update(
            T0.plusSeconds(20),
            Map.of(
                "a@t1", Map.of("p.s", buckets(0.01, 13, 1.0, 13, INF, 13)),
                "b@t2", Map.of("p.s", buckets(0.01, 1, 1.0, 500, INF, 500))));
    assertThat(p99.get("p.s")).isCloseTo(0.0099, within(1e-9));
  }

  @Test
  void noGrowthIsNoP99AndItemsSlowerThanEveryBoundAreTheHighestBound() {
    StepTimes times = new StepTimes();
    var before = Map.of("p.s", buckets(0.01, 10, 60.0, 10, INF, 10));
    times.update(T0, Map.of("a@t1", before, "b@t1", before));

    Map<String, Double> p99 =
        times.update(
            T0.plusSeconds(10),
            Map.of("a@t1", before, "b@t1", Map.of("p.s", buckets(0.01, 10, 60.0, 10, INF, 12))));

    assertThat(p99).containsExactly(Map.entry("p.s", 60.0));
    assertThat(ConsolePages.seconds(60.0)).isEqualTo("60.00 s");

    assertThat(times.update(T0.plusSeconds(20), Map.of("a@t1", before))).isEmpty();
    assertThat(ConsolePages.seconds(null)).isEqualTo("—");
  }

  @Test
  void askedAgainWithinASecondGivesTheLastP99() {
    StepTimes times = new StepTimes();
    times.update(T0, Map.of("a@t1", Map.of("p.s", buckets(0.01, 0, INF, 0))));
    Map<String, Double> p99 =
        times.update(T0.plusSeconds(5), Map.of("a@t1", Map.of("p.s", buckets(0.01, 10, INF, 10))));

    assertThat(times.update(T0.plusMillis(5500), Map.of())).isEqualTo(p99).isNotEmpty();
  }

  /** Cumulative counts by upper bound: bound, count, bound, count... */
  private static NavigableMap<Double, Double> buckets(double... boundsAndCounts) {
    NavigableMap<Double, Double> b = new TreeMap<>();
    for (int i = 0; i < boundsAndCounts.length; i += 2) {
      b.put(boundsAndCounts[i], boundsAndCounts[i + 1]);
    }
    return b;
  }
}
