package dev.conveyor.runtime.console;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Items per second of each step, from the processors' counter {@code conveyor_processor_items}
 * (their {@code /metrics}): the growth of its sum over the live processors since the console last
 * looked. The first look, or one after a long pause, has no rate yet; a counter that went back (a
 * processor restarted or left) counts as no growth.
 */
final class StepRates {
  static final String COUNTER = "conveyor_processor_items_total";
  private static final Pattern LABEL = Pattern.compile("(\\w+)=\"((?:[^\"\\\\]|\\\\.)*)\"");
  private static final Duration MIN_INTERVAL = Duration.ofSeconds(1);
  private static final Duration MAX_INTERVAL = Duration.ofMinutes(5);

  private Instant lastAt;
  private Map<String, Double> last = Map.of();
  private Map<String, Double> rates = Map.of();

  /** Adds the counter's series of one Prometheus scrape to {@code totals} by pipeline.step. */
  static void addScrape(String scrape, Map<String, Double> totals) {
    for (String line : scrape.split("\n")) {
      if (!line.startsWith(COUNTER + "{")) {
        continue;
      }
      int close = line.lastIndexOf('}');
      if (close < 0) {
        continue;
      }
      String pipeline = null;
      String step = null;
      Matcher m = LABEL.matcher(line.substring(COUNTER.length() + 1, close));
      while (m.find()) {
        if (m.group(1).equals("pipeline")) {
          pipeline = m.group(2);
        } else if (m.group(1).equals("step")) {
          step = m.group(2);
        }
      }
      try {
        double value = Double.parseDouble(line.substring(close + 1).strip().split(" ")[0]);
        if (pipeline != null && step != null) {
          totals.merge(pipeline + "." + step, value, Double::sum);
        }
      } catch (NumberFormatException e) {
        // why: a line we do not understand is no rate, not an error page
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
