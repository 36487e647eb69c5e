package dev.conveyor.runtime.console;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The samples of one metric in a Prometheus text scrape (a daemon's {@code /metrics}): each series'
 * labels and value. What the console reads of the processors' metrics, for the rates ({@link
 * StepRates}) and the p99 times ({@link StepTimes}).
 */
final class PrometheusText {
  private static final Pattern LABEL = Pattern.compile("(\\w+)=\"((?:[^\"\\\\]|\\\\.)*)\"");

  /** One series' sample. */
  record Sample(Map<String, String> labels, double value) {}

  private PrometheusText() {}

  /**
   * The samples of the series named {@code name} (with labels) in the scrape; a line that does not
   * parse is left out: what the console cannot read is no figure, not an error page.
   */
  static List<Sample> samples(String scrape, String name) {
    List<Sample> out = new ArrayList<>();
    for (String line : scrape.split("\n")) {
      if (!line.startsWith(name + "{")) {
        continue;
      }
      int close = line.lastIndexOf('}');
      if (close < 0) {
        continue;
      }
      Map<String, String> labels = new HashMap<>();
      Matcher m = LABEL.matcher(line.substring(name.length() + 1, close));
      while (m.find()) {
        labels.put(m.group(1), m.group(2));
      }
      try {
        out.add(
            new Sample(
                labels, Double.parseDouble(line.substring(close + 1).strip().split(" ")[0])));
      } catch (NumberFormatException e) {
        // why: a value we do not understand is no sample
      }
    }
    return out;
  }
}
