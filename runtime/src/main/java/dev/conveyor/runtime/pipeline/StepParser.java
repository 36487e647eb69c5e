package dev.conveyor.runtime.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Reads one entry of {@code steps:}. */
final class StepParser {
  static final List<String> KEYS =
      List.of(
          "name",
          "kind",
          "class",
          "command",
          "after",
          "scope",
          "batch",
          "batch_wait",
          "offset",
          "slice",
          "shards",
          "workers",
          "retry",
          "timeout",
          "resources",
          "options",
          "sink");

  /**
   * What was read of one step.
   *
   * @param links the step's place in the graph; empty if its name, after, scope or resources could
   *     not be read (the graph rules are then not checked, to avoid follow-on noise)
   * @param step the step; empty if any problem has been found so far
   */
  record Parsed(Optional<PipelineValidator.StepLinks> links, Optional<StepDef> step) {}

  private StepParser() {}

  /**
   * Reads the step in {@code node}, adding its problems to {@code problems}.
   *
   * @param number the step's position in the file, from 1, to name it while its name is unknown
   */
  static Parsed parse(JsonNode node, int number, StepSettings defaults, List<String> problems) {
    String byNumber = "step #" + number;
    if (!node.isObject()) {
      problems.add(byNumber + " must be a mapping, was " + YamlFields.describe(node));
      return new Parsed(Optional.empty(), Optional.empty());
    }
    Optional<String> name =
        new YamlFields(node, byNumber + ": ", "", problems).requiredText("name");
    var f =
        new YamlFields(
            node, name.map(n -> "step '" + n + "': ").orElse(byNumber + ": "), "", problems);
    name.filter(n -> !Names.isName(n))
        .ifPresent(n -> f.problem("bad step name (use " + Names.NAME_RULE + ")"));
    f.rejectUnknownKeys(KEYS);

    Optional<StepKind> kind = f.requiredChoice("kind", StepKind.values());
    String javaClass = kind.filter(k -> k == StepKind.JAVA).isPresent() ? javaClass(f) : null;
    List<String> command =
        kind.filter(k -> k == StepKind.COMMAND).isPresent() ? command(f) : List.of();
    kind.ifPresent(k -> rejectKeysOfOtherKinds(f, k));

    Optional<List<String>> after = f.texts("after", false);
    Optional<Scope> scope = f.choice("scope", Scope.values());
    StepSettings settings = defaults.overriddenBy(f);
    Optional<List<String>> resources = f.texts("resources", false);
    boolean linksRead =
        name.isPresent()
            && after.isPresent() == f.has("after")
            && scope.isPresent() == f.has("scope")
            && resources.isPresent() == f.has("resources");
    Optional<PipelineValidator.StepLinks> links =
        linksRead
            ? Optional.of(
                new PipelineValidator.StepLinks(
                    name.get(),
                    after.orElse(List.of()),
                    scope.orElse(Scope.PART),
                    resources.orElse(List.of())))
            : Optional.empty();

    Map<String, Object> options = f.mapping("options").map(YamlFields::toMap).orElse(Map.of());
    Optional<SinkDef> sink =
        kind.filter(k -> k == StepKind.SINK).isPresent() ? SinkParser.parse(f) : Optional.empty();

    if (!problems.isEmpty() || name.isEmpty() || kind.isEmpty()) {
      return new Parsed(links, Optional.empty());
    }
    return new Parsed(
        links,
        Optional.of(
            new StepDef(
                name.get(),
                kind.get(),
                after.orElse(List.of()),
                scope.orElse(Scope.PART),
                settings.batch(),
                settings.batchWait(),
                settings.offset(),
                settings.slice(),
                settings.shards(),
                settings.workers(),
                settings.retry(),
                settings.timeout(),
                javaClass,
                command,
                resources.orElse(List.of()),
                options,
                sink.orElse(null))));
  }

  private static String javaClass(YamlFields f) {
    if (!f.has("class")) {
      f.problem("kind java needs 'class'");
      return null;
    }
    Optional<String> name = f.text("class");
    if (name.isPresent() && !Names.isJavaClassName(name.get())) {
      f.problem("'class' is not a Java class name: '" + name.get() + "'");
      return null;
    }
    return name.orElse(null);
  }

  private static List<String> command(YamlFields f) {
    if (!f.has("command")) {
      f.problem("kind command needs 'command'");
      return List.of();
    }
    if (f.value("command").filter(c -> c.isArray() && c.isEmpty()).isPresent()) {
      f.problem("'command' must not be empty");
      return List.of();
    }
    return f.texts("command", true).orElse(List.of());
  }

  private static void rejectKeysOfOtherKinds(YamlFields f, StepKind kind) {
    if (kind != StepKind.JAVA && f.has("class")) {
      f.problem("'class' is only for kind java");
    }
    if (kind != StepKind.COMMAND && f.has("command")) {
      f.problem("'command' is only for kind command");
    }
    if (kind != StepKind.SINK && f.has("sink")) {
      f.problem("'sink' is only for kind sink");
    }
    // why: a setting a kind cannot honour must not be accepted and silently ignored
    if (kind == StepKind.SINK && f.has("resources")) {
      f.problem("'resources' is only for kinds java and command (a sink reads no files)");
    }
    if (kind == StepKind.SINK && f.has("options")) {
      f.problem("'options' is only for kinds java and command (a sink has none)");
    }
  }
}
