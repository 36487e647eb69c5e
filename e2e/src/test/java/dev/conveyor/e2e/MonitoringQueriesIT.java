package dev.conveyor.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conveyor.common.config.Env;
import dev.conveyor.common.daemon.Daemon;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import dev.conveyor.dispatcher.Dispatcher;
import dev.conveyor.dispatcher.DispatcherConfig;
import dev.conveyor.patrol.Patrol;
import dev.conveyor.patrol.PatrolConfig;
import dev.conveyor.processor.Processor;
import dev.conveyor.processor.ProcessorConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.StreamEntryID;

/**
 * The queries of {@code deploy/monitoring} against the real {@code /metrics}: the three daemons run
 * in this JVM on real Redis and PostgreSQL, some tasks go through, a message is rejected; then
 * every metric the alert rules and the Grafana dashboard refer to must be in one of the three
 * scrapes. A renamed or dropped meter fails here, not silently on a dashboard.
 */
@WithServices
class MonitoringQueriesIT {
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final int TASKS = 20;

  /** Made by Prometheus itself for each target, never in a scrape. */
  private static final Set<String> PROMETHEUS_MADE = Set.of("up");

  private static final String ECHO =
      """
      pipeline: echo
      version: 1
      steps:
        - name: deliver
          kind: sink
          offset: 50ms
          sink: {table: conveyor.echo_rows, key: [task_id, part]}
      """;

  private final List<Daemon> daemons = new ArrayList<>();

  @AfterEach
  void stop() {
    daemons.reversed().forEach(Daemon::shutdown);
  }

  @Test
  void everyMetricOfTheAlertsAndTheDashboardIsInTheDaemonsScrapes(
      TestServices services, @TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("echo.yaml"), ECHO);
    Map<String, String> env = new HashMap<>(services.env());
    env.put("CONVEYOR_PIPELINES", dir.toString());
    env.put("CONVEYOR_REDIS_BLOCK", "200ms");
    env.put("CONVEYOR_CLUSTER_CHECKIN", "1s");
    env.put("CONVEYOR_PATROL_INTERVAL", "200ms");
    env.put("CONVEYOR_HTTP_BIND", "127.0.0.1");
    Dispatcher dispatcher =
        start(env, "metrics-dispatcher", e -> new Dispatcher(DispatcherConfig.from(e)));
    Processor processor =
        start(env, "metrics-processor", e -> new Processor(ProcessorConfig.from(e)));
    Patrol patrol = start(env, "metrics-patrol", e -> new Patrol(PatrolConfig.from(e)));

    for (int i = 0; i < TASKS; i++) {
      publish(services, Map.of("pipeline", "echo", "id", "m-" + i, "payload", "{\"text\":\"t\"}"));
    }
    publish(services, Map.of("pipeline", "no-such-pipeline", "id", "bad-1", "payload", "{}"));
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> services.queryLong("SELECT count(*) FROM conveyor.task_audit") == TASKS);

    MonitoringFiles files = MonitoringFiles.read();
    Map<String, Set<String>> wanted = new TreeMap<>();
    files.alerts().forEach((alert, expr) -> refers(wanted, "alert " + alert, expr));
    files.dashboardQueries().forEach(q -> refers(wanted, "dashboard: " + q, q));
    files
        .variableMetrics()
        .forEach(m -> wanted.computeIfAbsent(m, k -> new TreeSet<>()).add("variable"));
    PROMETHEUS_MADE.forEach(wanted::remove);
    assertThat(wanted).as("metrics the queries refer to").hasSizeGreaterThan(30);

    // why: some meters appear with their first event (a patrol round, an audit row)
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(() -> {
          Set<String> scraped = new TreeSet<>();
          for (Daemon d : List.of(dispatcher, processor, patrol)) {
            scraped.addAll(metricNames(scrape(d)));
          }
          Map<String, Set<String>> missing = new TreeMap<>(wanted);
          missing.keySet().removeAll(scraped);
          assertThat(missing).as("metrics no daemon exposes, and where they are used").isEmpty();
        });
    // and the new meters measure what they say
    assertThat(
            sum(scrape(processor), "conveyor_task_latency_seconds_count{")
                + sum(scrape(patrol), "conveyor_task_latency_seconds_count{"))
        .as("tasks from inbox to audit row")
        .isEqualTo(TASKS);
    assertThat(sum(scrape(processor), "conveyor_processor_batch_items_sum{"))
        .as("entries the sink's batches held")
        .isEqualTo(TASKS);
    assertThat(sum(scrape(processor), "conveyor_quartz_triggers_fired_total{")).isPositive();
    assertThat(sum(scrape(dispatcher), "conveyor_dispatcher_batch_messages_sum{"))
        .isEqualTo(TASKS + 1);
    assertThat(scrape(processor))
        .contains("hikaricp_connections_max{", "pool=\"quartz-metrics-processor\"");
  }

  /** The sum of the samples whose line starts with {@code prefix}. */
  private static double sum(String exposition, String prefix) {
    return exposition
        .lines()
        .filter(l -> l.startsWith(prefix))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .sum();
  }

  private <D extends Daemon> D start(
      Map<String, String> common, String node, Function<Env, D> create) throws IOException {
    Map<String, String> env = new HashMap<>(common);
    env.put("CONVEYOR_NODE_ID", node);
    env.put("CONVEYOR_HTTP_PORT", Integer.toString(Ports.free()));
    D daemon = create.apply(Env.of(env));
    daemons.add(daemon);
    daemon.activate();
    daemon.start();
    return daemon;
  }

  private static void publish(TestServices services, Map<String, String> fields) {
    services.jedis().xadd(services.keys().inbox(), StreamEntryID.NEW_ENTRY, fields);
  }

  private static void refers(Map<String, Set<String>> wanted, String where, String expr) {
    MonitoringFiles.metricNames(expr)
        .forEach(m -> wanted.computeIfAbsent(m, k -> new TreeSet<>()).add(where));
  }

  private static String scrape(Daemon daemon) throws IOException, InterruptedException {
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + daemon.httpPort() + "/metrics"))
                .timeout(Duration.ofSeconds(5))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    return r.body();
  }

  /** The names of the samples of a Prometheus text exposition. */
  private static Set<String> metricNames(String exposition) {
    Set<String> names = new TreeSet<>();
    exposition
        .lines()
        .filter(l -> !l.isBlank() && !l.startsWith("#"))
        .forEach(l -> {
          int end = l.indexOf('{');
          names.add(l.substring(0, end >= 0 ? end : l.indexOf(' ')));
        });
    return names;
  }
}
