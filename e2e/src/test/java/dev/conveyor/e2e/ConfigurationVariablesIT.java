package dev.conveyor.e2e;

import static dev.conveyor.e2e.DeployFiles.DAEMONS;
import static dev.conveyor.e2e.DeployFiles.names;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The CONVEYOR_* variables across the deployment files: those {@code docker-compose.yml} passes are
 * the ones the daemons read ({@code *Config.java}), and {@code deploy/.env.example} names every
 * one.
 */
class ConfigurationVariablesIT {
  /**
   * Daemon variables compose deliberately does not pass: the entrypoint sets the node id from the
   * container's hostname (one value for all replicas would be wrong), Redis has no password and no
   * cluster in compose, the PostgreSQL password and the admin token come as {@code _FILE}, and a
   * container listens on every interface of its network (the others and the CLI reach it there), so
   * its bind address is not a setting.
   */
  private static final Set<String> NOT_PASSED_BY_COMPOSE =
      Set.of(
          "CONVEYOR_NODE_ID",
          "CONVEYOR_REDIS_CLUSTER",
          "CONVEYOR_REDIS_PASSWORD",
          "CONVEYOR_PG_PASSWORD",
          "CONVEYOR_ADMIN_TOKEN",
          "CONVEYOR_HTTP_BIND");

  private static final Pattern SUBSTITUTION = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)");

  /** {@code ${NAME:-default}}. */
  private static final Pattern DEFAULTED = Pattern.compile("\\$\\{([A-Z][A-Z0-9_]*):-([^}]+)\\}");

  private static DeployFiles files;

  @BeforeAll
  static void read() throws IOException {
    files = DeployFiles.read();
  }

  @Test
  void everyConveyorVariableComposeSetsIsOneTheDaemonsKnow() throws IOException {
    Set<String> known = files.daemonVariables();
    assertThat(known)
        .as("the scan of the *Config.java sources")
        .contains("CONVEYOR_REDIS_URL", "CONVEYOR_PG_URL", "CONVEYOR_PG_PASSWORD_FILE");

    Set<String> passed = new TreeSet<>();
    for (String daemon : DAEMONS) {
      Set<String> set = new TreeSet<>(names(files.service(daemon).path("environment")));
      set.removeIf(n -> !n.startsWith("CONVEYOR_"));
      assertThat(known).as("variables the daemons know").containsAll(set);
      passed.addAll(set);
    }
    // and the other way round: a new daemon setting must reach the containers (or be listed)
    Set<String> missing = new TreeSet<>(known);
    missing.removeIf(n -> n.endsWith("_FILE") || NOT_PASSED_BY_COMPOSE.contains(n));
    missing.removeAll(passed);
    assertThat(missing).as("daemon variables docker-files.compose().yml does not pass").isEmpty();
  }

  @Test
  void envExampleDocumentsEveryVariableAndSetsNone() throws IOException {
    String example = Files.readString(files.root().resolve("deploy/.env.example"));
    Set<String> variables = new TreeSet<>(files.daemonVariables());
    Matcher m = SUBSTITUTION.matcher(files.composeText());
    while (m.find()) {
      variables.add(m.group(1));
    }
    for (String daemon : DAEMONS) {
      names(files.service(daemon).path("environment")).stream()
          .filter(n -> n.startsWith("CONVEYOR_"))
          .forEach(variables::add);
    }

    assertThat(variables)
        .as("variables without a `NAME=` line in deploy/.env.example")
        .allMatch(v -> Pattern.compile("\\b" + v + "=").matcher(example).find());
    assertThat(example.lines().map(String::strip).filter(l -> !l.isEmpty()))
        .as("lines of the example (all commented: defaults only)")
        .allMatch(l -> l.startsWith("#"));
  }

  @Test
  void theMonitoringProfileReadsNoDaemonSettingAndTheExampleGivesItsDefaults() throws IOException {
    String example = Files.readString(files.root().resolve("deploy/.env.example"));
    for (String service : List.of("prometheus", "grafana")) {
      assertThat(names(files.service(service).path("environment")))
          .as("variables of %s", service)
          .noneMatch(n -> n.startsWith("CONVEYOR_"));
      Matcher m = DEFAULTED.matcher(files.service(service).toString());
      int found = 0;
      while (m.find()) {
        found++;
        assertThat(example)
            .as("the default of %s in deploy/.env.example", m.group(1))
            .contains("# " + m.group(1) + "=" + m.group(2) + "\n");
      }
      assertThat(found).as("variables with a default in %s", service).isGreaterThanOrEqualTo(2);
    }
  }
}
