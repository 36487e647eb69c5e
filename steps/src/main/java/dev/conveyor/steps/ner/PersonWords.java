package dev.conveyor.steps.ner;

import dev.conveyor.runtime.resource.SharedResources;
import dev.conveyor.runtime.step.StepContext;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The fixed word lists of the person rules, from the resource {@code person_words} ({@code
 * deploy/pipelines/data/person_words.txt}), the one file that {@code
 * deploy/pipelines/steps/person.py} reads too, so the Java and the Python step cannot disagree on a
 * word. (The first names are the resource {@code first_names}.)
 *
 * <p>The file: UTF-8; a line {@code [name]} starts a list and the lines after it hold its words,
 * separated by spaces; lines starting with {@code #} are comments, blank lines are skipped. Each of
 * the lists in {@link #LISTS} is there exactly once.
 *
 * @param particles lowercase name particles, between the first name and a surname ("Ludwig van
 *     Beethoven")
 * @param capitalParticles capitalised particles ("Robert De Niro")
 * @param surnamePrefixes lowercase prefixes of a surname written as one word with it ("al-Hassan",
 *     "d'Alembert"), in the order they are tried
 * @param saints words before a first name that make it part of a place name ("San Francisco")
 * @param notSurnames capitalised words that are never a surname
 */
record PersonWords(
    Set<String> particles,
    Set<String> capitalParticles,
    List<String> surnamePrefixes,
    Set<String> saints,
    Set<String> notSurnames) {

  /** The lists' names in the file, in the order of the components. */
  static final List<String> LISTS =
      List.of("particles", "capital_particles", "surname_prefixes", "saints", "not_surnames");

  PersonWords {
    particles = Set.copyOf(particles);
    capitalParticles = Set.copyOf(capitalParticles);
    surnamePrefixes = List.copyOf(surnamePrefixes);
    saints = Set.copyOf(saints);
    notSurnames = Set.copyOf(notSurnames);
  }

  /** The lists of the resource, read once per JVM for the mapped file. */
  static PersonWords of(StepContext.SharedResource resource) {
    return SharedResources.computeShared(
        resource,
        "person-words",
        PersonWords.class,
        r -> parse(SharedResources.lines(r), "resource '" + r.name() + "'"));
  }

  /**
   * The lists of a file in the format above.
   *
   * @param source what the lines are, for messages
   * @throws IllegalArgumentException naming the line: an unknown or repeated list, words before the
   *     first list; or a missing list
   */
  static PersonWords parse(Iterable<String> lines, String source) {
    Map<String, List<String>> lists = new LinkedHashMap<>();
    List<String> current = null;
    int number = 0;
    for (String raw : lines) {
      number++;
      String line = raw.strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      if (line.startsWith("[") && line.endsWith("]")) {
        String name = line.substring(1, line.length() - 1);
        if (!LISTS.contains(name)) {
          throw new IllegalArgumentException(
              source + " line " + number + ": unknown list [" + name + "] (known: " + LISTS + ")");
        }
        if (lists.containsKey(name)) {
          throw new IllegalArgumentException(
              source + " line " + number + ": list [" + name + "] comes twice");
        }
        current = new ArrayList<>();
        lists.put(name, current);
        continue;
      }
      if (current == null) {
        throw new IllegalArgumentException(
            source + " line " + number + ": words before the first [list]");
      }
      current.addAll(List.of(line.split("\\s+")));
    }
    List<String> missing = LISTS.stream().filter(n -> !lists.containsKey(n)).toList();
    if (!missing.isEmpty()) {
      throw new IllegalArgumentException(source + ": no list " + missing);
    }
    return new PersonWords(
        Set.copyOf(lists.get("particles")),
        Set.copyOf(lists.get("capital_particles")),
        lists.get("surname_prefixes"),
        Set.copyOf(lists.get("saints")),
        Set.copyOf(lists.get("not_surnames")));
  }

  /**
   * The lists by name, each sorted but the prefixes, as {@code person.py --lexicon} prints them.
   */
  Map<String, List<String>> lexicon() {
    Map<String, List<String>> lists = new LinkedHashMap<>();
    lists.put("particles", List.copyOf(new TreeSet<>(particles)));
    lists.put("capital_particles", List.copyOf(new TreeSet<>(capitalParticles)));
    lists.put("surname_prefixes", surnamePrefixes);
    lists.put("saints", List.copyOf(new TreeSet<>(saints)));
    lists.put("not_surnames", List.copyOf(new TreeSet<>(notSurnames)));
    return lists;
  }
}
