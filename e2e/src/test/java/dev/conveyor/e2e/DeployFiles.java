package dev.conveyor.e2e;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.util.stream.Stream;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The deployment files as the tests of them read them, without Docker: {@code docker-compose.yml}
 * read as compose reads it (anchors and merge keys resolved), {@code deploy/Dockerfile} and its
 * stages, and the variables the daemons read.
 */
record DeployFiles(Path root, JsonNode compose, String composeText, String dockerfile) {
  static final List<String> DAEMONS = List.of("dispatcher", "processor", "patrol");

  /** A {@code FROM} line of the Dockerfile: its base image and its stage name. */
  static final Pattern STAGE = Pattern.compile("(?im)^FROM\\s+(\\S+)(?:\\s+AS\\s+(\\S+))?\\s*$");

  static DeployFiles read() throws IOException {
    Path root = Repo.root();
    String composeText = Files.readString(root.resolve("docker-compose.yml"));
    // why: SnakeYAML resolves anchors and `<<` merge keys as compose does; Jackson's YAML parser
    // does not
    Object loaded;
    try (Reader in = Files.newBufferedReader(root.resolve("docker-compose.yml"))) {
      loaded = new Yaml(new SafeConstructor(new LoaderOptions())).load(in);
    }
    JsonNode compose = new ObjectMapper().valueToTree(loaded);
    return new DeployFiles(
        root, compose, composeText, Files.readString(root.resolve("deploy/Dockerfile")));
  }

  /** The compose service {@code name}; fails when there is none. */
  JsonNode service(String name) {
    JsonNode s = compose.path("services").path(name);
    assertThat(s.isObject()).as("service %s", name).isTrue();
    return s;
  }

  static List<String> names(JsonNode object) {
    return object.properties().stream().map(Map.Entry::getKey).toList();
  }

  /** A YAML list as its texts, a scalar as a list of one, nothing as an empty list. */
  static List<String> texts(JsonNode node) {
    if (node.isArray()) {
      List<String> texts = new ArrayList<>();
      node.forEach(n -> texts.add(n.asText()));
      return texts;
    }
    return node.isMissingNode() || node.isNull() ? List.of() : List.of(node.asText());
  }

  /** The Dockerfile's stages by name (or base image when unnamed), without their comment lines. */
  Map<String, String> stages() {
    Matcher m = STAGE.matcher(dockerfile);
    List<Integer> starts = new ArrayList<>();
    List<String> names = new ArrayList<>();
    while (m.find()) {
      starts.add(m.start());
      names.add(m.group(2) != null ? m.group(2) : m.group(1));
    }
    Map<String, String> stages = new LinkedHashMap<>();
    for (int i = 0; i < starts.size(); i++) {
      int end = i + 1 < starts.size() ? starts.get(i + 1) : dockerfile.length();
      // why: without comments, which talk about other stages too
      stages.put(
          names.get(i), dockerfile.substring(starts.get(i), end).replaceAll("(?m)^#.*\n", ""));
    }
    return stages;
  }

  /**
   * The CONVEYOR_* variables the daemons read: the string literals in the main sources' {@code
   * *Config.java} files, plus {@code NAME_FILE} for each read as a secret ({@code
   * env.secret("NAME")}).
   */
  Set<String> daemonVariables() throws IOException {
    Pattern literal = Pattern.compile("\"(CONVEYOR_[A-Z0-9_]+)\"");
    Pattern secret = Pattern.compile("secret\\(\\s*\"(CONVEYOR_[A-Z0-9_]+)\"");
    Set<String> names = new TreeSet<>();
    List<Path> sources;
    try (Stream<Path> files = Files.walk(root)) {
      sources =
          files
              .filter(p -> p.getFileName().toString().endsWith("Config.java"))
              .filter(p -> root.relativize(p).toString().matches("[^/]+/src/main/java/.*"))
              .toList();
    }
    assertThat(sources).as("*Config.java under */src/main/java").isNotEmpty();
    for (Path source : sources) {
      String text = Files.readString(source);
      Matcher m = literal.matcher(text);
      while (m.find()) {
        names.add(m.group(1));
      }
      m = secret.matcher(text);
      while (m.find()) {
        names.add(m.group(1) + "_FILE");
      }
    }
    return names;
  }
}
