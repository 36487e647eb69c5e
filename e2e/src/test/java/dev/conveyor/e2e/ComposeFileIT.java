package dev.conveyor.e2e;

import static dev.conveyor.e2e.DeployFiles.DAEMONS;
import static dev.conveyor.e2e.DeployFiles.names;
import static dev.conveyor.e2e.DeployFiles.texts;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code docker-compose.yml}, read as compose reads it (anchors and merge keys resolved), without
 * Docker (there may be no engine where the tests run): the services, restarts, health checks,
 * volumes, logs and secrets. {@code docker-compose config -q} itself runs in {@code .ci/run}, which
 * installs docker-compose when it is missing: this test needs no binary a developer may not have.
 */
class ComposeFileIT {
  private static DeployFiles files;

  @BeforeAll
  static void read() throws IOException {
    files = DeployFiles.read();
  }

  @Test
  void composeHasRedisPostgresAndTheThreeDaemonsAndNoVersionKey() {
    // `docker compose up` without a profile: exactly these
    assertThat(
            names(files.compose().path("services")).stream()
                .filter(n -> !files.service(n).has("profiles"))
                .toList())
        .containsExactlyInAnyOrder("redis", "postgres", "dispatcher", "processor", "patrol");
    // why: `version:` is obsolete in Compose v2 (a warning) and unneeded by docker-compose 1.29
    assertThat(files.compose().has("version")).as("a version: key").isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"dispatcher", "processor", "patrol"})
  void aDaemonRestartsAlwaysWaitsForHealthyServicesAndStopsGracefully(String daemon) {
    JsonNode s = files.service(daemon);

    assertThat(s.path("restart").asText()).isEqualTo("always");
    for (String dependency : List.of("redis", "postgres")) {
      assertThat(s.path("depends_on").path(dependency).path("condition").asText())
          .as("%s depends_on %s", daemon, dependency)
          .isEqualTo("service_healthy");
    }
    assertThat(texts(s.path("healthcheck").path("test")))
        .as("healthcheck of %s", daemon)
        .anyMatch(t -> t.contains("/health"));
    // why: SIGTERM lets a daemon finish its batch; a blocking read alone may take 5 s, and
    // compose's default of 10 s before SIGKILL is too tight
    assertThat(seconds(s.path("stop_grace_period").asText()))
        .as("stop_grace_period of %s", daemon)
        .isGreaterThanOrEqualTo(15);
    assertThat(texts(s.path("volumes")))
        .contains(
            "./deploy/pipelines:/etc/conveyor/pipelines:ro", "/etc/localtime:/etc/localtime:ro");
    assertThat(s.path("environment").path("LANG").asText()).isEqualTo("C.UTF-8");
    assertThat(s.path("environment").path("CONVEYOR_PIPELINES").asText())
        .isEqualTo("/etc/conveyor/pipelines");
  }

  @ParameterizedTest
  @ValueSource(strings = {"dispatcher", "processor", "patrol"})
  void aDaemonCanBeScaledNoFixedNameNoHostPort(String daemon) {
    JsonNode s = files.service(daemon);

    // `docker compose up --scale processor=3`: a fixed name or host port would collide
    assertThat(s.has("container_name")).as("%s has container_name", daemon).isFalse();
    assertThat(s.has("hostname")).as("%s has hostname", daemon).isFalse();
    assertThat(s.has("ports")).as("%s publishes ports", daemon).isFalse();
    assertThat(s.path("environment").has("CONVEYOR_NODE_ID"))
        .as("%s gets one CONVEYOR_NODE_ID for all its replicas", daemon)
        .isFalse();
  }

  @Test
  void everyServiceRotatesItsJsonLogs() {
    files
        .compose()
        .path("services")
        .properties()
        .forEach(e -> {
          JsonNode logging = e.getValue().path("logging");
          assertThat(logging.path("driver").asText()).as(e.getKey()).isEqualTo("json-file");
          assertThat(logging.path("options").has("max-size")).as(e.getKey()).isTrue();
          assertThat(logging.path("options").has("max-file")).as(e.getKey()).isTrue();
          assertThat(e.getValue().has("container_name")).as(e.getKey()).isFalse();
        });
  }

  @Test
  void redisKeepsItsDataAndRefusesToEvict() {
    JsonNode redis = files.service("redis");

    assertThat(redis.path("restart").asText()).isEqualTo("always");
    String command = String.join(" ", texts(redis.path("command")));
    assertThat(command)
        .contains("--appendonly yes")
        .contains("--appendfsync everysec")
        .contains("--maxmemory-policy noeviction");
    assertThat(String.join(" ", texts(redis.path("healthcheck").path("test"))))
        .contains("redis-cli")
        .contains("ping");
    assertNamedVolumeAt(redis, "/data");
  }

  @Test
  void postgresIsHealthCheckedOverTcpAndKeepsItsData() {
    JsonNode postgres = files.service("postgres");

    assertThat(postgres.path("restart").asText()).isEqualTo("always");
    assertThat(String.join(" ", texts(postgres.path("healthcheck").path("test"))))
        .contains("pg_isready")
        .contains("-h 127.0.0.1");
    assertNamedVolumeAt(postgres, "/var/lib/postgresql/data");
  }

  @Test
  void noSecretIsWrittenInTheComposeFile() {
    files
        .compose()
        .path("services")
        .properties()
        .forEach(s ->
            s.getValue()
                .path("environment")
                .properties()
                .forEach(e -> {
                  String key = e.getKey();
                  String value = e.getValue().asText();
                  if (key.matches(".*(PASSWORD|TOKEN|SECRET).*") && !key.endsWith("_FILE")) {
                    assertThat(value)
                        .as("%s of %s: only an empty default", key, s.getKey())
                        .matches("|\\$\\{[A-Z0-9_]+:?-?\\}");
                  }
                }));
    // the database password is generated into the `secrets` volume and read from there
    assertThat(files.service("postgres").path("environment").has("POSTGRES_PASSWORD")).isFalse();
    String passwordFile =
        files.service("postgres").path("environment").path("POSTGRES_PASSWORD_FILE").asText();
    for (String daemon : DAEMONS) {
      assertThat(
              files.service(daemon).path("environment").path("CONVEYOR_PG_PASSWORD_FILE").asText())
          .isEqualTo(passwordFile);
      assertThat(texts(files.service(daemon).path("volumes"))).contains("secrets:/run/conveyor:ro");
    }
    assertThat(passwordFile).startsWith("/run/conveyor/");
    assertThat(texts(files.service("postgres").path("volumes"))).contains("secrets:/run/conveyor");
    assertThat(files.compose().path("volumes").has("secrets")).isTrue();
  }

  @Test
  void theSecretsAreGeneratedReadableByTheirUsersOnlyAndTheAdminTokenReachesTheDaemons() {
    String keeper = String.join("\n", texts(files.service("postgres").path("entrypoint")));
    for (String daemon : DAEMONS) {
      JsonNode env = files.service(daemon).path("environment");
      assertThat(env.path("CONVEYOR_ADMIN_TOKEN_FILE").asText())
          .as("%s reads the admin token from the secrets volume", daemon)
          .isEqualTo("/run/conveyor/admin_token");
      assertThat(env.has("CONVEYOR_ADMIN_TOKEN"))
          .as("%s gets the token itself too (the daemons refuse both)", daemon)
          .isFalse();
    }
    // generated once, or CONVEYOR_ADMIN_TOKEN when set (it reaches the entrypoint that writes it)
    assertThat(files.service("postgres").path("environment").path("CONVEYOR_ADMIN_TOKEN").asText())
        .isEqualTo("${CONVEYOR_ADMIN_TOKEN:-}");
    assertThat(keeper)
        .contains("umask 077")
        .contains("$$d/pg_password")
        .contains("$$d/admin_token")
        .contains("/dev/urandom")
        // the daemons (uid 10001) own both; PostgreSQL's group reads the password; nobody else
        .contains("chown \"10001:$$(id -g postgres)\" \"$$d/pg_password\"")
        .contains("chmod 0440 \"$$d/pg_password\"")
        .contains("chown 10001:10001 \"$$d/admin_token\"")
        .contains("chmod 0400 \"$$d/admin_token\"")
        .contains("exec docker-entrypoint.sh");
  }

  @Test
  void theMonitoringProfileHasPrometheusAndGrafanaOnlyAndNothingElseHasAProfile() {
    files
        .compose()
        .path("services")
        .properties()
        .forEach(e -> {
          boolean monitoring = List.of("prometheus", "grafana").contains(e.getKey());
          assertThat(texts(e.getValue().path("profiles")))
              .as("profiles of %s", e.getKey())
              .isEqualTo(monitoring ? List.of("monitoring") : List.of());
        });
  }

  @Test
  void prometheusReadsTheScrapeConfigAndAlertsOfDeployMonitoringAndKeepsItsData() {
    JsonNode prometheus = files.service("prometheus");

    assertThat(prometheus.path("image").asText())
        .isEqualTo("${PROMETHEUS_IMAGE:-prom/prometheus:v3.5.0}");
    assertThat(prometheus.path("restart").asText()).isEqualTo("always");
    assertThat(texts(prometheus.path("volumes")))
        .contains(
            "./deploy/monitoring/prometheus.yml:/etc/prometheus/prometheus.yml:ro",
            "./deploy/monitoring/alerts.yml:/etc/prometheus/alerts.yml:ro");
    assertThat(texts(prometheus.path("command")))
        .contains("--config.file=/etc/prometheus/prometheus.yml");
    assertAnonymousVolumeAt(prometheus, "/prometheus");
    assertMountedFilesExist(prometheus);
    assertLoopbackPortsOnly(prometheus);
  }

  @Test
  void grafanaProvisionsTheDashboardOfDeployMonitoringWithoutAnyPassword() {
    JsonNode grafana = files.service("grafana");

    assertThat(grafana.path("image").asText())
        .isEqualTo("${GRAFANA_IMAGE:-grafana/grafana:12.1.0}");
    assertThat(texts(grafana.path("volumes")))
        .contains(
            "./deploy/monitoring/grafana/provisioning:/etc/grafana/provisioning:ro",
            "./deploy/monitoring/grafana/dashboards:/var/lib/grafana/dashboards:ro");
    // why: no admin password in the repository; Grafana asks to change its default at first login
    assertThat(names(grafana.path("environment"))).noneMatch(n -> n.contains("PASSWORD"));
    assertThat(grafana.path("environment").path("GF_AUTH_ANONYMOUS_ORG_ROLE").asText())
        .isEqualTo("Viewer");
    assertAnonymousVolumeAt(grafana, "/var/lib/grafana");
    assertMountedFilesExist(grafana);
    assertLoopbackPortsOnly(grafana);
  }

  /**
   * Kept across recreations, not a named volume: docker-compose 1.29 creates every named volume of
   * the file on {@code up}, whatever the profiles, and a plain {@code up} must leave exactly the
   * stack's own volumes (ComposeStackIT counts them).
   */
  private static void assertAnonymousVolumeAt(JsonNode service, String target) {
    assertThat(texts(service.path("volumes"))).contains(target);
  }

  private static void assertMountedFilesExist(JsonNode service) {
    texts(service.path("volumes")).stream()
        .filter(v -> v.startsWith("./"))
        .map(v -> v.substring(2, v.indexOf(':')))
        .forEach(path -> assertThat(files.root().resolve(path)).as(path).exists());
  }

  /** Published on the host's loopback only, never on every interface. */
  private static void assertLoopbackPortsOnly(JsonNode service) {
    assertThat(texts(service.path("ports"))).isNotEmpty().allMatch(p -> p.startsWith("127.0.0.1:"));
  }

  private static void assertNamedVolumeAt(JsonNode service, String target) {
    String mount =
        texts(service.path("volumes")).stream()
            .filter(v -> v.split(":").length >= 2 && v.split(":")[1].equals(target))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no volume at " + target));
    assertThat(files.compose().path("volumes").has(mount.split(":")[0]))
        .as("%s is a named volume", mount)
        .isTrue();
  }

  /** A compose duration (30s, 1m30s, 1h) in seconds. */
  private static long seconds(String duration) {
    Matcher m = Pattern.compile("(\\d+)(h|m|s)").matcher(duration);
    Duration d = Duration.ZERO;
    int end = 0;
    while (m.find()) {
      long n = Long.parseLong(m.group(1));
      d =
          d.plus(
              switch (m.group(2)) {
                case "h" -> Duration.ofHours(n);
                case "m" -> Duration.ofMinutes(n);
                default -> Duration.ofSeconds(n);
              });
      end = m.end();
    }
    assertThat(end).as("a duration: '%s'", duration).isEqualTo(duration.length()).isPositive();
    return d.toSeconds();
  }
}
