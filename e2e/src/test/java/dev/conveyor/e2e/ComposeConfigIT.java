package dev.conveyor.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * {@code docker compose config} (compose itself, not a YAML reading of the file) with every
 * variable of {@code deploy/.env.example} set to a value of its own: each must arrive where it is
 * read — a daemon setting in the environment of all three daemons under its own name, an image in
 * the service or build that uses it, a memory limit on its service — so that no setting an operator
 * writes into {@code .env} is silently dropped. Needs compose, not a Docker engine.
 */
class ComposeConfigIT {
  private static final List<String> DAEMONS = List.of("dispatcher", "processor", "patrol");
  private static final Pattern EXAMPLE_LINE = Pattern.compile("(?m)^# ([A-Z][A-Z0-9_]*)=(.*)$");
  private static final Pattern SECTION = Pattern.compile("(?m)^# --- (.+?) -+$");
  private static final Pattern SUBSTITUTION = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)");

  /** Where a variable other than a daemon setting is read: service → what holds it there. */
  private static final Map<String, Map<String, String>> READERS =
      Map.ofEntries(
          Map.entry("REDIS_IMAGE", Map.of("redis", "image")),
          Map.entry("POSTGRES_IMAGE", Map.of("postgres", "image")),
          Map.entry("REDIS_MAXMEMORY", Map.of("redis", "command")),
          Map.entry("DISPATCHER_MEM_LIMIT", Map.of("dispatcher", "mem_limit")),
          Map.entry("PROCESSOR_MEM_LIMIT", Map.of("processor", "mem_limit")),
          Map.entry("PATROL_MEM_LIMIT", Map.of("patrol", "mem_limit")),
          // the secrets' keeper writes it into the volume the daemons read it from
          Map.entry("CONVEYOR_ADMIN_TOKEN", Map.of("postgres", "environment")),
          Map.entry("JDK_IMAGE", daemons("build")),
          Map.entry("JRE_IMAGE", daemons("build")),
          Map.entry("CONVEYOR_IMAGE_TAG", daemons("image")),
          // the profile `monitoring`
          Map.entry("PROMETHEUS_IMAGE", Map.of("prometheus", "image")),
          Map.entry("PROMETHEUS_PORT", Map.of("prometheus", "ports")),
          Map.entry("PROMETHEUS_RETENTION", Map.of("prometheus", "command")),
          Map.entry("GRAFANA_IMAGE", Map.of("grafana", "image")),
          Map.entry("GRAFANA_PORT", Map.of("grafana", "ports")));

  @Test
  void everyVariableOfTheEnvExampleReachesTheServiceThatReadsIt(@TempDir Path dir)
      throws IOException {
    Path root = Repo.root();
    String example = Files.readString(root.resolve("deploy/.env.example"));
    String composeText = Files.readString(root.resolve("docker-compose.yml"));
    Set<String> substituted = new TreeSet<>();
    Matcher s = SUBSTITUTION.matcher(composeText);
    while (s.find()) {
      substituted.add(s.group(1));
    }

    Map<String, String> sentinels = new LinkedHashMap<>();
    Matcher m = EXAMPLE_LINE.matcher(example);
    while (m.find()) {
      String variable = m.group(1);
      String section = sectionAt(example, m.start());
      if (section.toLowerCase(Locale.ROOT).contains("compose")) {
        assertThat(substituted)
            .as(
                "%s is in the section '%s' of deploy/.env.example, and compose never reads it",
                variable, section)
            .contains(variable);
      }
      if (substituted.contains(variable)) {
        sentinels.put(variable, sentinel(variable, sentinels.size()));
      }
    }
    assertThat(sentinels).as("variables of the example that compose reads").hasSizeGreaterThan(20);

    Path envFile = dir.resolve("every.env");
    StringBuilder lines = new StringBuilder();
    sentinels.forEach((k, v) -> lines.append(k).append('=').append(v).append('\n'));
    Files.writeString(envFile, lines);
    JsonNode config = config(root, envFile);

    for (Map.Entry<String, String> e : sentinels.entrySet()) {
      String variable = e.getKey();
      String value = e.getValue();
      Map<String, String> readers = READERS.getOrDefault(variable, daemons("environment"));
      for (Map.Entry<String, String> reader : readers.entrySet()) {
        JsonNode service = config.path("services").path(reader.getKey());
        JsonNode where = service.path(reader.getValue());
        if (reader.getValue().equals("environment")) {
          assertThat(where.path(variable).asText())
              .as("%s in the environment of %s", variable, reader.getKey())
              .isEqualTo(value);
        } else {
          assertThat(where.toString())
              .as("%s in %s of %s", variable, reader.getValue(), reader.getKey())
              .contains(value);
        }
      }
      // and nowhere else: a setting of one service must not leak into another
      config
          .path("services")
          .properties()
          .forEach(other -> {
            if (!readers.containsKey(other.getKey())) {
              assertThat(other.getValue().toString())
                  .as("%s reaches %s, which does not read it", variable, other.getKey())
                  .doesNotContain(value);
            }
          });
    }
  }

  private static Map<String, String> daemons(String where) {
    Map<String, String> m = new LinkedHashMap<>();
    DAEMONS.forEach(d -> m.put(d, where));
    return m;
  }

  /** A value of its own for each variable, valid where compose checks the form. */
  private static String sentinel(String variable, int n) {
    if (variable.endsWith("_MEM_LIMIT")) {
      return Long.toString(536_870_912L + 4096L * (n + 1)); // bytes: printed back the same
    }
    if (variable.endsWith("_PORT")) {
      return Integer.toString(20_000 + n); // a port: compose checks the form
    }
    if (variable.equals("REDIS_MAXMEMORY")) {
      return Long.toString(123_456_000L + n);
    }
    if (variable.endsWith("_IMAGE")) {
      return "registry.example/sentinel-"
          + variable.toLowerCase(Locale.ROOT).replace('_', '-')
          + ":1";
    }
    return "sentinel-" + variable.toLowerCase(Locale.ROOT).replace('_', '-');
  }

  private static String sectionAt(String text, int offset) {
    Matcher m = SECTION.matcher(text);
    String section = "(before the first section)";
    while (m.find() && m.start() < offset) {
      section = m.group(1);
    }
    return section;
  }

  private static JsonNode config(Path root, Path envFile) {
    List<String> command = new java.util.ArrayList<>(ComposeProject.composeCommand());
    command.addAll(
        List.of(
            "--env-file",
            envFile.toString(),
            "--project-name",
            "conveyor-config-check",
            "--project-directory",
            root.toString(),
            "--file",
            root.resolve("docker-compose.yml").toString(),
            // why: the services of the profile read variables of the example too
            "--profile",
            "monitoring",
            "config"));
    Map<String, String> env = new java.util.HashMap<>();
    env.put("PATH", System.getenv("PATH"));
    env.put("HOME", System.getProperty("java.io.tmpdir"));
    ComposeProject.Result r = ComposeProject.Result.of(command, env);
    assertThat(r.code()).as("compose config:%n%s", r.out()).isZero();
    // why: compose prints warnings before the document on some versions
    int start = r.out().indexOf("services:");
    assertThat(start).as("a compose document:%n%s", r.out()).isNotNegative();
    String document = r.out().substring(start);
    Object loaded = new Yaml(new SafeConstructor(new LoaderOptions())).load(document);
    return new ObjectMapper().valueToTree(loaded);
  }
}
