package dev.conveyor.runtime.console;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * The p99 of each step's time per item, from the processors' histogram {@code
 * conveyor_processor_item_seconds} (the {@code _bucket{le}} series of their {@code /metrics}): the
 * growth of each bucket since the console last looked, summed over the running processors, and the
 * 99th percentile of that growth interpolated linearly inside its bucket, as Prometheus's {@code
 * histogram_quantile} does (so the console and the Grafana dashboard agree). A processor whose
 * counts went back, or that restarted, since the last look adds nothing to that look; the first
 * look, one after a long pause, and a step that processed nothing since have no p99.
 */
final class StepTimes {
  static final String BUCKET = "conveyor_processor_item_seconds_bucket";
  static final double QUANTILE = 0.99;
  private static final Duration MIN_INTERVAL = Duration.ofSeconds(1);
  private static final Duration MAX_INTERVAL = Duration.ofMinutes(5);

  private Instant lastAt;
  private Map<String, Map<String, NavigableMap<Double, Double>>> last = Map.of();
  private Map<String, Double> p99 = Map.of();

  /**
   * The histogram's cumulative bucket counts of one Prometheus scrape: by pipeline.step, by upper
   * bound {@code le} in seconds ({@code +Inf} as {@link Double#POSITIVE_INFINITY}).
   */
  static Map<String, NavigableMap<Double, Double>> parse(String scrape) {
    Map<String, NavigableMap<Double, Double>> steps = new HashMap<>();
    for (PrometheusText.Sample sample : PrometheusText.samples(scrape, BUCKET)) {
      String pipeline = sample.labels().get("pipeline");
      String step = sample.labels().get("step");
      String le = sample.labels().get("le");
      if (pipeline == null || step == null || le == null) {
        continue;
      }
      try {
        double bound = le.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le);
        steps
            .computeIfAbsent(pipeline + "." + step, k -> new TreeMap<>())
            .put(bound, sample.value());
      } catch (NumberFormatException e) {
        // why: a bound we do not understand is no p99, not an error page
      }
    }
    return steps;
  }

  /**
   * The p99 in seconds by pipeline.step given each running processor's buckets now (by a key that
   * changes when the processor restarts: its node id and start time); the last ones when asked
   * again within a second (several browsers polling).
   */
  synchronized Map<String, Double> update(
      Instant now, Map<String, Map<String, NavigableMap<Double, Double>>> byProcessor) {
    if (lastAt != null && Duration.between(lastAt, now).compareTo(MIN_INTERVAL) < 0) {
      return p99;
    }
    Map<String, Double> fresh = new HashMap<>();
    if (lastAt != null && Duration.between(lastAt, now).compareTo(MAX_INTERVAL) <= 0) {
      Map<String, NavigableMap<Double, Double>> growth = new HashMap<>();
      byProcessor.forEach((processor, steps) -> {
        Map<String, NavigableMap<Double, Double>> before = last.getOrDefault(processor, Map.of());
        steps.forEach((step, buckets) -> {
          NavigableMap<Double, Double> grown = growth(before.get(step), buckets);
          if (grown != null) {
            NavigableMap<Double, Double> sum = growth.computeIfAbsent(step, k -> new TreeMap<>());
            grown.forEach((le, n) -> sum.merge(le, n, Double::sum));
          }
        });
      });
      growth.forEach((step, buckets) -> {
        double q = quantile(QUANTILE, buckets);
        if (!Double.isNaN(q)) {
          fresh.put(step, q);
        }
      });
    }
    lastAt = now;
    last = copy(byProcessor);
    p99 = Map.copyOf(fresh);
    return p99;
  }

  /**
   * Each bucket's growth from {@code before} to {@code now}; null when there is nothing to compare
   * (no earlier look, other buckets) or a count went back (the processor's counters were reset).
   */
  private static NavigableMap<Double, Double> growth(
      NavigableMap<Double, Double> before, NavigableMap<Double, Double> now) {
    if (before == null || !before.keySet().equals(now.keySet())) {
      return null;
    }
    NavigableMap<Double, Double> grown = new TreeMap<>();
    for (Map.Entry<Double, Double> e : now.entrySet()) {
      double d = e.getValue() - before.get(e.getKey());
      if (d < 0) {
        return null;
      }
      grown.put(e.getKey(), d);
    }
    return grown;
  }

  /**
   * The {@code q} quantile of cumulative bucket counts, as Prometheus's {@code histogram_quantile}:
   * the bucket holding the rank {@code q × total}, interpolated linearly between its lower and
   * upper bound (the first bucket starts at 0); a rank in the {@code +Inf} bucket gives the highest
   * finite bound. NaN when the total ({@code +Inf}'s count, else the highest one) is 0.
   */
  static double quantile(double q, NavigableMap<Double, Double> cumulative) {
    if (cumulative.isEmpty()) {
      return Double.NaN;
    }
    double total = cumulative.lastEntry().getValue();
    if (!(total > 0)) {
      return Double.NaN;
    }
    double rank = q * total;
    double lower = 0;
    double below = 0;
    for (Map.Entry<Double, Double> e : cumulative.entrySet()) {
      double upper = e.getKey();
      double count = e.getValue();
      if (count >= rank) {
        if (Double.isInfinite(upper)) {
          return lower;
        }
        if (count == below) {
          return upper;
        }
        return lower + (upper - lower) * (rank - below) / (count - below);
      }
      lower = upper;
      // why: a histogram's counts are cumulative; a scrape taken mid-update may not be
      below = Math.max(below, count);
    }
    return lower;
  }

  private static Map<String, Map<String, NavigableMap<Double, Double>>> copy(
      Map<String, Map<String, NavigableMap<Double, Double>>> byProcessor) {
    Map<String, Map<String, NavigableMap<Double, Double>>> c = new HashMap<>();
    byProcessor.forEach((processor, steps) -> {
      Map<String, NavigableMap<Double, Double>> s = new HashMap<>();
      steps.forEach((step, buckets) -> s.put(step, new TreeMap<>(buckets)));
      c.put(processor, s);
    });
    return c;
  }
}
