package dev.conveyor.runtime.console;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * Items per second of each step, from the processors' counter {@code conveyor_processor_items}
 * (their {@code /metrics}): the growth of its sum over the live processors since the console last
 * looked. The first look, or one after a long pause, has no rate yet; a counter that went back (a
 * processor restarted or left) counts as no growth.
 */
final class StepRates {
  static final String COUNTER = "conveyor_processor_items_total";
  private static final Duration MIN_INTERVAL = Duration.ofSeconds(1);
  private static final Duration MAX_INTERVAL = Duration.ofMinutes(5);

  private Instant lastAt;
  private Map<String, Double> last = Map.of();
  private Map<String, Double> rates = Map.of();

  /** Adds the counter's series of one Prometheus scrape to {@code totals} by pipeline.step. */
  static void addScrape(String scrape, Map<String, Double> totals) {
    for (PrometheusText.Sample sample : PrometheusText.samples(scrape, COUNTER)) {
      String pipeline = sample.labels().get("pipeline");
      String step = sample.labels().get("step");
      if (pipeline != null && step != null) {
        totals.merge(pipeline + "." + step, sample.value(), Double::sum);
      }
    }
  }

  /**
   * The rates by pipeline.step given the totals now; the last rates when asked again within a
   * second (several browsers polling).
   */
  synchronized Map<String, Double> update(Instant now, Map<String, Double> totals) {
    if (lastAt != null && Duration.between(lastAt, now).compareTo(MIN_INTERVAL) < 0) {
      return rates;
    }
    Map<String, Double> fresh = new HashMap<>();
    if (lastAt != null && Duration.between(lastAt, now).compareTo(MAX_INTERVAL) <= 0) {
      double seconds = Duration.between(lastAt, now).toMillis() / 1000.0;
      totals.forEach((step, total) ->
          fresh.put(step, Math.max(0, total - last.getOrDefault(step, total)) / seconds));
    }
    lastAt = now;
    last = Map.copyOf(totals);
    rates = Map.copyOf(fresh);
    return rates;
  }
}
