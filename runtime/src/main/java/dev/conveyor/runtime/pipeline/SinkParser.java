package dev.conveyor.runtime.pipeline;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Reads the {@code sink:} mapping of a sink step. */
final class SinkParser {
  static final List<String> KEYS = List.of("table", "key", "columns", "batch_rows");

  private SinkParser() {}

  /**
   * The sink of a step of kind sink, or empty after adding problems.
   *
   * @param step the step's mapping
   */
  static Optional<SinkDef> parse(YamlFields step) {
    if (!step.has("sink")) {
      step.problem("kind sink needs 'sink'");
      return Optional.empty();
    }
    Optional<YamlFields> mapping = step.mapping("sink");
    if (mapping.isEmpty()) {
      return Optional.empty();
    }
    YamlFields f = mapping.get();
    int before = f.problemCount();
    f.rejectUnknownKeys(KEYS);
    Optional<String[]> table = f.requiredText("table").flatMap(t -> table(f, t));
    List<String> key = f.texts("key", false).map(k -> identifiers(f, "key", k)).orElse(List.of());
    if (!f.has("key") || f.value("key").filter(k -> k.isArray() && k.isEmpty()).isPresent()) {
      f.problem("sink without a key");
    }
    List<String> columns =
        f.texts("columns", false).map(c -> identifiers(f, "columns", c)).orElse(List.of());
    if (!columns.isEmpty()) {
      for (String k : key) {
        if (!columns.contains(k)) {
          f.problem(f.label("columns") + " lacks key column '" + k + "'");
        }
      }
    }
    int batchRows =
        f.integer("batch_rows", 1, SinkDef.MAX_BATCH_ROWS).orElse(SinkDef.DEFAULT_BATCH_ROWS);
    if (f.problemCount() != before || table.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(new SinkDef(table.get()[0], table.get()[1], key, columns, batchRows));
  }

  /** {@code [schema, table]} from {@code [schema.]table}. */
  private static Optional<String[]> table(YamlFields f, String text) {
    String[] parts = text.split("\\.", -1);
    String[] schemaAndTable =
        parts.length == 1 ? new String[] {SinkDef.DEFAULT_SCHEMA, parts[0]} : parts;
    if (schemaAndTable.length != 2
        || !Names.isSqlIdentifier(schemaAndTable[0])
        || !Names.isSqlIdentifier(schemaAndTable[1])) {
      f.problem(
          f.label("table")
              + " must be [schema.]table with identifiers like "
              + Names.SQL_RULE
              + ", was '"
              + text
              + "'");
      return Optional.empty();
    }
    return Optional.of(schemaAndTable);
  }

  private static List<String> identifiers(YamlFields f, String key, List<String> names) {
    var seen = new ArrayList<String>();
    for (String n : names) {
      if (!Names.isSqlIdentifier(n)) {
        f.problem(f.label(key) + " has a bad column name '" + n + "' (use " + Names.SQL_RULE + ")");
      } else if (seen.contains(n)) {
        f.problem(f.label(key) + " lists '" + n + "' twice");
      } else {
        seen.add(n);
      }
    }
    return List.copyOf(seen);
  }
}
