package dev.conveyor.steps.ner;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The hand-labelled examples in {@code ner-examples.txt} (test resources). Each example is a text
 * (a part, perhaps at an offset in a larger text) with every company and person in it:
 *
 * <pre>
 * &gt; [@OFFSET ]TEXT                 the text; \n, \t and \\ are escapes
 * = KIND START END SURFACE          an entity the pipeline should deliver (whole-text offsets)
 * ~ KIND START END SURFACE          found by its recogniser but not delivered: merge drops it
 * ! KIND                            the recogniser of KIND is known to get this text wrong
 * </pre>
 *
 * Lines starting with {@code #} are comments; {@code # ---- NAME} starts the section NAME. Loading
 * checks that each surface is the text between its offsets, so the offsets in the file cannot drift
 * from the texts.
 */
record Examples(List<Example> all) {
  static final String RESOURCE = "ner-examples.txt";

  /**
   * @param section the heading of the part of the file it is in
   * @param gold what the pipeline should deliver for this text
   * @param dropped what a recogniser finds that merge then drops
   * @param knownErrors the kinds whose recogniser gets this text wrong
   */
  record Example(
      int line,
      String section,
      String text,
      int offset,
      List<Entity> gold,
      List<Entity> dropped,
      Set<String> knownErrors) {

    /** What the recogniser of {@code kind} should output: the gold and dropped of its kind. */
    List<Entity> expectedRaw(String kind) {
      List<Entity> expected = new ArrayList<>();
      gold.stream().filter(e -> e.kind().equals(kind)).forEach(expected::add);
      dropped.stream().filter(e -> e.kind().equals(kind)).forEach(expected::add);
      expected.sort(MergeEntities.TEXT_ORDER);
      return expected;
    }

    List<Entity> gold(String kind) {
      return gold.stream().filter(e -> e.kind().equals(kind)).toList();
    }

    @Override
    public String toString() {
      String shown = text.replace("\n", "\\n");
      return "line " + line + (offset > 0 ? " @" + offset : "") + ": " + shown;
    }
  }

  static Examples load() {
    try (InputStream in = Examples.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("test resource " + RESOURCE + " is missing");
      }
      return parse(new String(in.readAllBytes(), UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Examples parse(String content) {
    List<Example> examples = new ArrayList<>();
    Builder current = null;
    String section = "";
    String[] lines = content.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i];
      int number = i + 1;
      if (line.startsWith("# ---- ")) {
        section = line.substring("# ---- ".length()).strip();
      }
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      if (line.startsWith("> ")) {
        if (current != null) {
          examples.add(current.build());
        }
        current = new Builder(number, section, line.substring(2));
        continue;
      }
      if (current == null) {
        throw new IllegalArgumentException(RESOURCE + " line " + number + ": no text before it");
      }
      current.add(number, line);
    }
    if (current != null) {
      examples.add(current.build());
    }
    return new Examples(List.copyOf(examples));
  }

  private static final class Builder {
    private final int line;
    private final String section;
    private final String text;
    private final int offset;
    private final List<Entity> gold = new ArrayList<>();
    private final List<Entity> dropped = new ArrayList<>();
    private final Set<String> knownErrors = new HashSet<>();

    Builder(int line, String section, String body) {
      this.line = line;
      this.section = section;
      int at = 0;
      String rest = body;
      if (body.startsWith("@")) {
        int space = body.indexOf(' ');
        at = Integer.parseInt(body.substring(1, space));
        rest = body.substring(space + 1);
      }
      this.offset = at;
      this.text = unescape(rest);
    }

    void add(int number, String entry) {
      String where = RESOURCE + " line " + number + ": ";
      if (entry.startsWith("! ")) {
        knownErrors.add(kind(entry.substring(2).strip(), where));
        return;
      }
      if (!entry.startsWith("= ") && !entry.startsWith("~ ")) {
        throw new IllegalArgumentException(where + "cannot read '" + entry + "'");
      }
      String[] f = entry.substring(2).split(" ", 4);
      if (f.length != 4) {
        throw new IllegalArgumentException(where + "want KIND START END SURFACE: '" + entry + "'");
      }
      Entity e =
          new Entity(kind(f[0], where), f[3], Integer.parseInt(f[1]), Integer.parseInt(f[2]));
      int[] cps = text.codePoints().toArray();
      int from = e.start() - offset;
      int to = e.end() - offset;
      if (from < 0 || to > cps.length || !CodePoints.text(cps, from, to).equals(e.surface())) {
        throw new IllegalArgumentException(
            where
                + "'"
                + e.surface()
                + "' is not the text at ["
                + e.start()
                + ", "
                + e.end()
                + ")");
      }
      (entry.startsWith("=") ? gold : dropped).add(e);
    }

    Example build() {
      gold.sort(MergeEntities.TEXT_ORDER);
      dropped.sort(MergeEntities.TEXT_ORDER);
      return new Example(
          line,
          section,
          text,
          offset,
          List.copyOf(gold),
          List.copyOf(dropped),
          Set.copyOf(knownErrors));
    }

    private static String kind(String kind, String where) {
      if (!kind.equals(Entity.COMPANY) && !kind.equals(Entity.PERSON)) {
        throw new IllegalArgumentException(where + "unknown kind '" + kind + "'");
      }
      return kind;
    }

    private static String unescape(String s) {
      StringBuilder out = new StringBuilder(s.length());
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        if (c == '\\' && i + 1 < s.length()) {
          char next = s.charAt(++i);
          out.append(
              switch (next) {
                case 'n' -> '\n';
                case 't' -> '\t';
                default -> next;
              });
        } else {
          out.append(c);
        }
      }
      return out.toString();
    }
  }
}
