package dev.conveyor.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
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
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * {@code deploy/monitoring} checked by Prometheus's own {@code promtool}: the scrape config, the
 * alert rules and their unit tests ({@code alerts-test.yml}), and every query of the Grafana
 * dashboard as PromQL. promtool is a requirement, not an option: without it these tests fail
 * ({@code .ci/run} installs Debian's package {@code prometheus}, which has it).
 */
class MonitoringFilesIT {
  private static MonitoringFiles files;

  @BeforeAll
  static void read() throws IOException {
    files = MonitoringFiles.read();
  }

  @Test
  void promtoolAcceptsTheScrapeConfigAndTheAlertRules() {
    assertPromtool("check", "config", files.dir().resolve("prometheus.yml").toString());
    assertPromtool("check", "rules", files.dir().resolve("alerts.yml").toString());
  }

  @Test
  void theAlertsPassTheirPromtoolUnitTests() {
    assertPromtool("test", "rules", files.dir().resolve("alerts-test.yml").toString());
  }

  @Test
  void everyAlertIsExpectedToFireInTheUnitTests() throws IOException {
    String tests = Files.readString(files.dir().resolve("alerts-test.yml"));
    Set<String> firing = new TreeSet<>();
    // an alertname followed by exp_alerts with at least one alert
    Matcher m =
        Pattern.compile("alertname: (\\w+)\\s*\\n\\s*exp_alerts:\\s*\\n\\s*- ").matcher(tests);
    while (m.find()) {
      firing.add(m.group(1));
    }
    assertThat(files.alerts().keySet())
        .containsExactlyInAnyOrder(
            "ConveyorDaemonDown",
            "ConveyorDaemonMissing",
            "ConveyorBacklogGrowing",
            "ConveyorInboxGrowing",
            "ConveyorDeadItemsRising",
            "ConveyorCleanupStalled",
            "ConveyorRedisMemoryHigh",
            "ConveyorPostgresUnreachable");
    assertThat(firing).as("alerts the unit tests see firing").hasSizeGreaterThanOrEqualTo(6);
    assertThat(files.alerts().keySet()).containsAll(firing);
  }

  @Test
  void everyQueryOfTheDashboardIsPromQl(@TempDir Path dir) throws IOException {
    List<String> queries = files.dashboardQueries();
    assertThat(queries).hasSizeGreaterThan(20);
    // why: promtool has no "check expression"; recording rules are parsed as PromQL
    List<Map<String, Object>> rules = new ArrayList<>();
    for (int i = 0; i < queries.size(); i++) {
      Map<String, Object> rule = new LinkedHashMap<>();
      rule.put("record", "dashboard:query_" + i);
      rule.put("expr", queries.get(i));
      rules.add(rule);
    }
    Path file = dir.resolve("dashboard-queries.yml");
    DumperOptions options = new DumperOptions();
    options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
    Files.writeString(
        file,
        new Yaml(options)
            .dump(Map.of("groups", List.of(Map.of("name", "dashboard", "rules", rules)))));

    assertPromtool("check", "rules", file.toString());
  }

  @Test
  void theDashboardIsProvisionedFromTheFolderGrafanaMounts() throws IOException {
    JsonNode dashboard = files.dashboard();
    assertThat(dashboard.path("uid").asText()).isEqualTo("conveyor");
    String provider =
        Files.readString(files.dir().resolve("grafana/provisioning/dashboards/conveyor.yml"));
    assertThat(provider).contains("path: /var/lib/grafana/dashboards");
    String datasource =
        Files.readString(files.dir().resolve("grafana/provisioning/datasources/prometheus.yml"));
    assertThat(datasource)
        .contains("url: http://prometheus:9090")
        .contains("uid: conveyor-prometheus");
    assertThat(new ObjectMapper().writeValueAsString(dashboard.path("templating")))
        .contains("conveyor-prometheus");
  }

  @Test
  void metricNamesAreReadOutOfAnExpression() {
    assertThat(
            MonitoringFiles.metricNames(
                "histogram_quantile(0.99, sum by (le, pipeline) (rate("
                    + "conveyor_task_latency_seconds_bucket{pipeline=~\".*\"}[5m])))"
                    + " / on (pipeline) group_left max(up{job=\"x\"}) or vector(0)"
                    + " and time() - max(conveyor_patrol_cleanup_last_run_seconds) > 1e3"))
        .containsExactly(
            "conveyor_patrol_cleanup_last_run_seconds",
            "conveyor_task_latency_seconds_bucket",
            "up");
  }

  private static void assertPromtool(String... args) {
    String promtool = promtool();
    List<String> command = new ArrayList<>(List.of(promtool));
    command.addAll(List.of(args));
    ComposeProject.Result r = ComposeProject.Result.of(command, Map.of());
    assertThat(r.code()).as("promtool %s:%n%s", String.join(" ", args), r.out()).isZero();
  }

  /** promtool on the PATH; fails (never skips) without it. */
  private static String promtool() {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path candidate = Path.of(dir, "promtool");
      if (Files.isExecutable(candidate)) {
        return candidate.toString();
      }
    }
    throw new AssertionError(
        "promtool is not on the PATH: install Debian's package prometheus (apt-get install -y"
            + " prometheus; .ci/run does) or put Prometheus's promtool on the PATH");
  }
}
