package dev.conveyor.runtime.pipeline;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Optional;

/**
 * Reads the text of a pipeline file into a tree: exactly one YAML document whose top level is a
 * mapping. Duplicate keys are errors, and so are aliases ({@code *name}), which Jackson's tree
 * model would otherwise silently turn into the alias's name.
 */
final class YamlTree {
  // why: thread-safe once built, and costly to build per file. YAML 1.1 would read "off" (a
  // cleanup mode) and "no" as booleans; only true and false are booleans here.
  private static final YAMLMapper MAPPER =
      YAMLMapper.builder()
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .enable(YAMLParser.Feature.PARSE_BOOLEAN_LIKE_WORDS_AS_STRINGS)
          .build();

  private YamlTree() {}

  /** The top-level mapping, or empty after adding the reasons to {@code problems}. */
  static Optional<ObjectNode> read(String yaml, List<String> problems) {
    try {
      JsonNode root;
      try (JsonParser parser = MAPPER.createParser(yaml)) {
        root = MAPPER.readTree(parser);
        if (root != null && parser.nextToken() != null) {
          problems.add(
              "more than one YAML document (one file holds one pipeline), the second at line "
                  + parser.currentTokenLocation().getLineNr());
          return Optional.empty();
        }
      }
      if (root == null || root.isMissingNode() || root.isNull()) {
        problems.add("the file is empty");
        return Optional.empty();
      }
      if (!root.isObject()) {
        problems.add(
            "the top level must be a mapping (pipeline: ..., steps: ...), was "
                + YamlFields.describe(root));
        return Optional.empty();
      }
      int before = problems.size();
      rejectAliases(yaml, problems);
      return problems.size() == before ? Optional.of((ObjectNode) root) : Optional.empty();
    } catch (JacksonException e) {
      problems.add(syntaxError(e));
      return Optional.empty();
    } catch (IOException e) {
      // why: reading from a String cannot fail with anything but a parse error
      throw new UncheckedIOException(e);
    }
  }

  private static void rejectAliases(String yaml, List<String> problems) throws IOException {
    try (var parser = (YAMLParser) MAPPER.createParser(yaml)) {
      while (parser.nextToken() != null) {
        if (parser.isCurrentAlias()) {
          problems.add(
              "YAML aliases are not supported: '*"
                  + parser.getText()
                  + "' at line "
                  + parser.currentTokenLocation().getLineNr());
        }
      }
    }
  }

  /** One line: where, and SnakeYAML's or Jackson's reason without the echoed source snippet. */
  private static String syntaxError(JacksonException e) {
    String reason = reason(e.getOriginalMessage());
    JsonLocation at = e.getLocation();
    String where =
        at == null || at.getLineNr() < 1
            ? ""
            : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
    return "YAML error" + where + ": " + reason;
  }

  private static String reason(String message) {
    if (message == null || message.isBlank()) {
      return "cannot parse";
    }
    // why: SnakeYAML writes "context \n in 'reader', line..\n  snippet\n  ^\nproblem \n in..";
    // the last unindented line is the problem itself
    List<String> lines =
        message.lines().filter(l -> !l.isBlank() && !Character.isWhitespace(l.charAt(0))).toList();
    String reason = lines.isEmpty() ? message.strip() : lines.getLast().strip();
    return reason.replaceFirst("^Duplicate field ", "duplicate key ");
  }
}
