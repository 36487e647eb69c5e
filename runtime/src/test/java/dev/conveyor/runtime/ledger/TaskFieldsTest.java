package dev.conveyor.runtime.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The Lua scripts spell the meta hash's field names as literals (they cannot import {@link
 * TaskFields}): every field a script reads or writes on the meta hash is one TaskFields names, and
 * every name TaskFields has is used by a script, but the one only Java writes.
 */
class TaskFieldsTest {
  private static final Path SCRIPTS = Path.of("src/main/resources/dev/conveyor/lua");

  /** A script whose header says its KEYS[1] is the task's meta hash. */
  private static final Pattern META_KEY = Pattern.compile("--.*KEYS\\[1] task meta");

  private static final Pattern ALIAS = Pattern.compile("local (\\w+) = KEYS\\[1]");
  private static final Pattern LITERAL = Pattern.compile("^'([^']*)'");

  @Test
  void everyMetaFieldAScriptUsesIsNamedInTaskFields() throws IOException {
    Map<String, Set<String>> byScript = metaFieldsByScript();

    assertThat(byScript).as("scripts on a task's meta hash").hasSizeGreaterThanOrEqualTo(5);
    byScript.forEach((script, fields) ->
        assertThat(fields)
            .as(script)
            .allMatch(f -> TaskFields.ALL.contains(f) || f.equals(TaskFields.OUTPUT_PREFIX)));
  }

  @Test
  void everyNameInTaskFieldsIsUsedByAScriptButTheRedriveCount() throws IOException {
    Set<String> used = new TreeSet<>();
    metaFieldsByScript().values().forEach(used::addAll);

    List<String> expected = new ArrayList<>(TaskFields.ALL);
    // why: only patrol's TaskSweep.noteRedrive counts re-drives, in Java
    expected.remove(TaskFields.REDRIVES);
    expected.add(TaskFields.OUTPUT_PREFIX);
    assertThat(used).containsExactlyInAnyOrderElementsOf(expected);
  }

  @Test
  void anOutputFieldNamesItsStep() {
    assertThat(TaskFields.output("merge")).isEqualTo("out:merge");
    assertThat(TaskFields.outputStep("out:merge")).hasValue("merge");
    assertThat(TaskFields.outputStep(TaskFields.PROGRESS_AT)).isEmpty();
  }

  /** Script → the literal field names of its hash commands on the meta hash. */
  private static Map<String, Set<String>> metaFieldsByScript() throws IOException {
    Map<String, Set<String>> out = new TreeMap<>();
    try (Stream<Path> files = Files.list(SCRIPTS)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".lua")).toList()) {
        String source = Files.readString(f);
        if (!META_KEY.matcher(source).find()) {
          continue;
        }
        Set<String> meta = new TreeSet<>(List.of("KEYS[1]"));
        Matcher alias = ALIAS.matcher(source);
        while (alias.find()) {
          meta.add(alias.group(1));
        }
        Set<String> fields = new TreeSet<>();
        for (List<String> call : redisCalls(source)) {
          if (call.size() > 1 && meta.contains(call.get(1))) {
            fields.addAll(fieldNames(call));
          }
        }
        out.put(f.getFileName().toString(), fields);
      }
    }
    return out;
  }

  /** The literal field names of a hash command: {@code redis.call('HSET', key, f, v, ...)}. */
  private static List<String> fieldNames(List<String> call) {
    String command = literal(call.getFirst());
    List<String> args = call.subList(2, call.size());
    List<String> fields = new ArrayList<>();
    for (int i = 0; i < args.size(); i++) {
      boolean isField =
          switch (command) {
            case "HSET" -> i % 2 == 0;
            case "HINCRBY" -> i == 0;
            case "HGET", "HMGET", "HEXISTS", "HDEL" -> true;
            default -> false;
          };
      if (isField) {
        Matcher m = LITERAL.matcher(args.get(i));
        if (m.find()) {
          fields.add(m.group(1));
        }
      }
    }
    return fields;
  }

  private static String literal(String arg) {
    Matcher m = LITERAL.matcher(arg);
    return m.find() ? m.group(1) : arg;
  }

  /** The arguments of every {@code redis.call(...)}, split at the commas outside parentheses. */
  private static List<List<String>> redisCalls(String source) {
    List<List<String>> calls = new ArrayList<>();
    int at = source.indexOf("redis.call(");
    while (at >= 0) {
      int i = at + "redis.call(".length();
      int depth = 0;
      List<String> args = new ArrayList<>();
      StringBuilder arg = new StringBuilder();
      for (; i < source.length(); i++) {
        char c = source.charAt(i);
        if (c == '(') {
          depth++;
        } else if (c == ')' && depth-- == 0) {
          break;
        } else if (c == ',' && depth == 0) {
          args.add(arg.toString().strip());
          arg.setLength(0);
          continue;
        }
        arg.append(c);
      }
      args.add(arg.toString().strip());
      calls.add(args);
      at = source.indexOf("redis.call(", i);
    }
    return calls;
  }
}
