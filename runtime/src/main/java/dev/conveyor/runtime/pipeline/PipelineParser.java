package dev.conveyor.runtime.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Turns the text of one pipeline file into a {@link Pipeline}, or a {@link PipelineException}
 * listing every problem found. Reads a YAML tree and checks it by hand (no data binding), so that
 * each problem names its key and step in the file's own terms.
 */
final class PipelineParser {
  static final List<String> KEYS =
      List.of(
          "pipeline",
          "version",
          "split",
          "max_in_flight",
          "stuck_after",
          "max_redrives",
          "cleanup",
          "resources",
          "defaults",
          "steps");

  static final List<String> SPLIT_KEYS = List.of("mode", "field", "max_chars");
  static final List<String> CLEANUP_KEYS = List.of("mode", "tolerance", "grace");

  private PipelineParser() {}

  /**
   * @param sourceName how problems name the file, e.g. {@code ner.yaml}
   * @param source the file, kept in the pipeline
   * @param baseDir where relative resource paths start, or {@code null} to keep them as written
   * @throws PipelineException naming every problem
   */
  static Pipeline parse(String yaml, String sourceName, Path source, Path baseDir) {
    var problems = new ArrayList<String>();
    Optional<Pipeline> pipeline =
        YamlTree.read(yaml, problems)
            .flatMap(root -> pipeline(new YamlFields(root, "", "", problems), source, baseDir));
    // a pipeline is built only when no problem was found
    return pipeline.orElseThrow(() -> PipelineException.of(sourceName, problems));
  }

  private static Optional<Pipeline> pipeline(YamlFields f, Path source, Path baseDir) {
    f.rejectUnknownKeys(KEYS);
    Optional<String> name = f.requiredText("pipeline");
    name.filter(n -> !Names.isName(n))
        .ifPresent(n -> f.problem("bad pipeline name '" + n + "' (use " + Names.NAME_RULE + ")"));
    Optional<Integer> version = f.requiredInteger("version", 1, Integer.MAX_VALUE);
    Optional<SplitRule> split = split(f);
    int maxInFlight =
        f.integer("max_in_flight", 1, Integer.MAX_VALUE).orElse(Pipeline.DEFAULT_MAX_IN_FLIGHT);
    Duration stuckAfter = f.duration("stuck_after", false).orElse(Pipeline.DEFAULT_STUCK_AFTER);
    int maxRedrives =
        f.integer("max_redrives", 0, Integer.MAX_VALUE).orElse(Pipeline.DEFAULT_MAX_REDRIVES);
    Optional<Cleanup> cleanup = cleanup(f);
    Optional<Map<String, Path>> resources = resources(f, baseDir);
    StepSettings defaults = defaults(f);
    List<StepDef> steps = steps(f, defaults, resources.map(Map::keySet).orElse(null));

    if (f.problemCount() > 0) {
      return Optional.empty();
    }
    return Optional.of(
        new Pipeline(
            name.orElseThrow(),
            version.orElseThrow(),
            source,
            split.orElseThrow(),
            maxInFlight,
            stuckAfter,
            maxRedrives,
            cleanup.orElseThrow(),
            resources.orElseThrow(),
            steps));
  }

  private static Optional<SplitRule> split(YamlFields pipeline) {
    if (!pipeline.has("split")) {
      return Optional.of(SplitRule.NONE);
    }
    Optional<YamlFields> mapping = pipeline.mapping("split");
    if (mapping.isEmpty()) {
      return Optional.empty();
    }
    YamlFields f = mapping.get();
    int before = f.problemCount();
    f.rejectUnknownKeys(SPLIT_KEYS);
    Optional<SplitRule.Mode> mode = f.choice("mode", SplitRule.Mode.values());
    String field = f.text("field").orElse(SplitRule.DEFAULT_FIELD);
    int maxChars =
        f.integer("max_chars", SplitRule.MIN_MAX_CHARS, Integer.MAX_VALUE)
            .orElse(SplitRule.DEFAULT_MAX_CHARS);
    boolean modeNone = !f.has("mode") || mode.equals(Optional.of(SplitRule.Mode.NONE));
    if (modeNone) {
      // why: text settings without "mode: text" are most likely a forgotten mode, not a wish
      for (String key : List.of("field", "max_chars")) {
        if (f.has(key)) {
          f.problem(f.label(key) + " applies only to split mode text (add 'mode: text')");
        }
      }
    }
    return f.problemCount() == before
        ? Optional.of(new SplitRule(mode.orElse(SplitRule.Mode.NONE), field, maxChars))
        : Optional.empty();
  }

  private static Optional<Cleanup> cleanup(YamlFields pipeline) {
    if (!pipeline.has("cleanup")) {
      return Optional.of(Cleanup.DEFAULT);
    }
    Optional<YamlFields> mapping = pipeline.mapping("cleanup");
    if (mapping.isEmpty()) {
      return Optional.empty();
    }
    YamlFields f = mapping.get();
    int before = f.problemCount();
    f.rejectUnknownKeys(CLEANUP_KEYS);
    Cleanup.Mode mode = f.choice("mode", Cleanup.Mode.values()).orElse(Cleanup.DEFAULT.mode());
    double tolerance = f.number("tolerance", 0.0, 1.0).orElse(Cleanup.DEFAULT.tolerance());
    Duration grace = f.duration("grace", false).orElse(Cleanup.DEFAULT.grace());
    return f.problemCount() == before
        ? Optional.of(new Cleanup(mode, tolerance, grace))
        : Optional.empty();
  }

  /** The declared resources; empty if {@code resources:} is not a mapping at all. */
  private static Optional<Map<String, Path>> resources(YamlFields pipeline, Path baseDir) {
    if (!pipeline.has("resources")) {
      return Optional.of(Map.of());
    }
    Optional<YamlFields> mapping = pipeline.mapping("resources");
    if (mapping.isEmpty()) {
      return Optional.empty();
    }
    YamlFields f = mapping.get();
    var resources = new LinkedHashMap<String, Path>();
    for (String name : f.keys()) {
      if (!Names.isName(name)) {
        f.problem("bad resource name '" + name + "' (use " + Names.NAME_RULE + ")");
      }
      Path path = f.requiredText(name).flatMap(text -> path(f, name, text, baseDir)).orElse(null);
      // why: keep bad entries' names too, so steps naming them get no "unknown resource" noise
      resources.put(name, path == null ? Path.of("") : path);
    }
    return Optional.of(resources);
  }

  private static Optional<Path> path(YamlFields f, String name, String text, Path baseDir) {
    try {
      Path path = Path.of(text);
      return Optional.of(
          path.isAbsolute() || baseDir == null ? path : baseDir.resolve(path).normalize());
    } catch (InvalidPathException e) {
      f.problem(f.label(name) + " is not a file path: " + e.getMessage());
      return Optional.empty();
    }
  }

  private static StepSettings defaults(YamlFields pipeline) {
    Optional<YamlFields> mapping = pipeline.mapping("defaults");
    if (mapping.isEmpty()) {
      return StepSettings.BUILT_IN;
    }
    mapping.get().rejectUnknownKeys(StepSettings.KEYS);
    return StepSettings.BUILT_IN.overriddenBy(mapping.get());
  }

  /**
   * Reads every step, then checks the graph if every step's links could be read.
   *
   * @param resourceNames the declared resource names, or {@code null} if unknown
   */
  private static List<StepDef> steps(
      YamlFields pipeline, StepSettings defaults, Set<String> resourceNames) {
    Optional<JsonNode> node = pipeline.value("steps");
    if (node.isEmpty()) {
      pipeline.problem("missing required key 'steps'");
      return List.of();
    }
    if (!node.get().isArray()) {
      pipeline.problem("'steps' must be a list of steps, was " + YamlFields.describe(node.get()));
      return List.of();
    }
    if (node.get().isEmpty()) {
      pipeline.problem("'steps' must not be empty");
      return List.of();
    }
    // why: the shared list, so a step is built only while no problem at all has been found
    List<String> problems = pipeline.problems();
    var links = new ArrayList<PipelineValidator.StepLinks>();
    var steps = new ArrayList<StepDef>();
    boolean allLinksRead = true;
    for (int i = 0; i < node.get().size(); i++) {
      StepParser.Parsed parsed = StepParser.parse(node.get().get(i), i + 1, defaults, problems);
      parsed.step().ifPresent(steps::add);
      parsed.links().ifPresent(links::add);
      allLinksRead &= parsed.links().isPresent();
    }
    if (allLinksRead) {
      problems.addAll(PipelineValidator.problems(links, resourceNames));
    }
    return List.copyOf(steps);
  }
}
