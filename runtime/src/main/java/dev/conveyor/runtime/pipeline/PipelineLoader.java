package dev.conveyor.runtime.pipeline;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Loads pipeline files: one file, or every {@code *.yaml} and {@code *.yml} file of a directory
 * (the daemons' {@code CONVEYOR_PIPELINES}). All or nothing: a directory with one bad file fails as
 * a whole, so that a daemon refuses to start rather than run part of its pipelines.
 */
public final class PipelineLoader {
  private PipelineLoader() {}

  /**
   * Loads one file. Problems name the file by its file name; relative resource paths are resolved
   * against its directory.
   *
   * @throws PipelineException if it cannot be read or is not a valid pipeline
   */
  public static Pipeline loadFile(Path file) {
    String sourceName = String.valueOf(file.getFileName());
    Path source = file.toAbsolutePath().normalize();
    String yaml;
    try {
      yaml = Files.readString(source);
    } catch (CharacterCodingException e) {
      throw new PipelineException(sourceName + ": cannot read " + source + ": not UTF-8 text", e);
    } catch (IOException e) {
      throw new PipelineException(
          sourceName + ": cannot read " + source + ": " + e.getClass().getSimpleName(), e);
    }
    return PipelineParser.parse(yaml, sourceName, source, source.getParent());
  }

  /**
   * Loads every {@code *.yaml} and {@code *.yml} file directly in {@code dir} (not in
   * subdirectories, and not hidden files), in sorted file-name order. An empty directory gives
   * empty {@link Pipelines}.
   *
   * @throws PipelineException if the directory is missing or unreadable, if any file is bad (the
   *     message lists every bad file's problems, each line starting with its file name), or if two
   *     files declare the same pipeline
   */
  public static Pipelines loadDirectory(Path dir) {
    if (!Files.exists(dir)) {
      throw new PipelineException("pipeline directory " + dir.toAbsolutePath() + " does not exist");
    }
    if (!Files.isDirectory(dir)) {
      throw new PipelineException(
          "pipeline directory " + dir.toAbsolutePath() + " is not a directory");
    }
    var problems = new ArrayList<String>();
    var pipelines = new ArrayList<Pipeline>();
    var fileOfName = new HashMap<String, String>();
    for (Path file : pipelineFiles(dir)) {
      String fileName = file.getFileName().toString();
      try {
        Pipeline p = loadFile(file);
        String earlier = fileOfName.putIfAbsent(p.name(), fileName);
        if (earlier != null) {
          problems.add(
              fileName + ": pipeline '" + p.name() + "' is already declared in " + earlier);
        } else {
          pipelines.add(p);
        }
      } catch (PipelineException e) {
        problems.addAll(e.problems());
      }
    }
    if (!problems.isEmpty()) {
      throw new PipelineException(String.join("\n", problems));
    }
    return Pipelines.of(pipelines);
  }

  /**
   * Parses pipeline text that has no file, for tests and tools. Relative resource paths are
   * resolved against the directory part of {@code sourceName}, if it has one.
   *
   * @param sourceName how problems name the text, e.g. {@code ner.yaml}
   * @throws PipelineException if it is not a valid pipeline
   */
  public static Pipeline parse(String yaml, String sourceName) {
    Path source;
    try {
      source = Path.of(sourceName);
    } catch (InvalidPathException e) {
      source = Path.of("pipeline.yaml");
    }
    return PipelineParser.parse(yaml, sourceName, source, source.getParent());
  }

  private static List<Path> pipelineFiles(Path dir) {
    try (Stream<Path> entries = Files.list(dir)) {
      return entries
          .filter(PipelineLoader::isPipelineFile)
          .sorted(Comparator.comparing(p -> p.getFileName().toString()))
          .toList();
    } catch (IOException e) {
      throw new PipelineException(
          "cannot list pipeline directory " + dir.toAbsolutePath() + ": " + e, e);
    }
  }

  private static boolean isPipelineFile(Path p) {
    String name = p.getFileName().toString();
    String lower = name.toLowerCase(Locale.ROOT);
    // why: hidden files are editor droppings and Kubernetes' ..data links, not pipelines
    return !name.startsWith(".")
        && (lower.endsWith(".yaml") || lower.endsWith(".yml"))
        && Files.isRegularFile(p);
  }
}
