package dev.conveyor.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * {@code deploy/monitoring} as its tests read it: the PromQL expressions of the alert rules and of
 * the Grafana dashboard, and the metric names an expression refers to.
 */
record MonitoringFiles(Path dir, JsonNode rules, JsonNode dashboard) {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static final Set<String> KEYWORDS =
      Set.of(
          "by",
          "without",
          "on",
          "ignoring",
          "group_left",
          "group_right",
          "bool",
          "and",
          "or",
          "unless",
          "offset",
          "inf",
          "nan");
  private static final Pattern STRING = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|'[^']*'");
  private static final Pattern GROUPING =
      Pattern.compile("\\b(?:by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
  private static final Pattern IDENTIFIER =
      Pattern.compile("(?<![\\w$.])([a-zA-Z_:][a-zA-Z0-9_:]*)\\b(?!\\s*\\()");

  static MonitoringFiles read() throws IOException {
    Path dir = Repo.root().resolve("deploy/monitoring");
    Object rules;
    try (Reader in = Files.newBufferedReader(dir.resolve("alerts.yml"))) {
      rules = new Yaml(new SafeConstructor(new LoaderOptions())).load(in);
    }
    return new MonitoringFiles(
        dir,
        JSON.valueToTree(rules),
        JSON.readTree(dir.resolve("grafana/dashboards/conveyor.json").toFile()));
  }

  /** Every alert's expression, by alert name. */
  Map<String, String> alerts() {
    Map<String, String> alerts = new LinkedHashMap<>();
    for (JsonNode group : rules.path("groups")) {
      for (JsonNode rule : group.path("rules")) {
        alerts.put(rule.path("alert").asText(), rule.path("expr").asText());
      }
    }
    return alerts;
  }

  /**
   * Every query of the dashboard (panels, nested panels of rows, template variables), with
   * Grafana's variables replaced by what they stand for, so that Prometheus can parse them.
   */
  List<String> dashboardQueries() {
    List<String> queries = new ArrayList<>();
    collectTargets(dashboard.path("panels"), queries);
    return queries.stream().map(MonitoringFiles::substituted).toList();
  }

  private static void collectTargets(JsonNode panels, List<String> queries) {
    for (JsonNode panel : panels) {
      for (JsonNode target : panel.path("targets")) {
        queries.add(target.path("expr").asText());
      }
      collectTargets(panel.path("panels"), queries);
    }
  }

  /** The metrics {@code label_values(metric, label)} of the dashboard's variables read. */
  Set<String> variableMetrics() {
    Set<String> metrics = new TreeSet<>();
    Matcher m = Pattern.compile("label_values\\(\\s*([a-zA-Z_:][a-zA-Z0-9_:]*)").matcher("");
    for (JsonNode variable : dashboard.path("templating").path("list")) {
      m.reset(variable.path("definition").asText());
      while (m.find()) {
        metrics.add(m.group(1));
      }
    }
    return metrics;
  }

  private static String substituted(String query) {
    return query
        .replace("$__rate_interval", "5m")
        .replace("$__interval", "1m")
        .replace("$pipeline", ".*");
  }

  /** The metric names a PromQL expression refers to (functions, keywords and labels left out). */
  static Set<String> metricNames(String expr) {
    String s = STRING.matcher(expr).replaceAll("\"\"");
    s = s.replaceAll("\\{[^}]*\\}", " ");
    s = s.replaceAll("\\[[^\\]]*\\]", " ");
    s = GROUPING.matcher(s).replaceAll(" ");
    Set<String> names = new TreeSet<>();
    Matcher m = IDENTIFIER.matcher(s);
    while (m.find()) {
      String name = m.group(1);
      if (!KEYWORDS.contains(name.toLowerCase(java.util.Locale.ROOT))) {
        names.add(name);
      }
    }
    return names;
  }
}
