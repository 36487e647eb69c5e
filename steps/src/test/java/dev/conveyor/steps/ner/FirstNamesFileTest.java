package dev.conveyor.steps.ner;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The shipped gazetteer, {@code deploy/pipelines/data/first_names.txt}. */
class FirstNamesFileTest {
  private static List<String> lines() throws Exception {
    return Files.readAllLines(TestResource.firstNamesFile(), UTF_8);
  }

  private static List<String> names() throws Exception {
    return lines().stream().filter(l -> !l.startsWith("#")).toList();
  }

  @Test
  void loadsAsTheStepLoadsIt() {
    Set<String> names = PersonRecognizer.firstNames(TestResource.firstNames());

    assertThat(names).contains("Jane", "Ludwig", "José", "Søren", "Małgorzata", "Владимир");
    assertThat(names).noneMatch(n -> n.startsWith("#"));
  }

  @Test
  void holdsAtLeastFifteenHundredNames() throws Exception {
    assertThat(names()).hasSizeGreaterThanOrEqualTo(1500);
  }

  @Test
  void holdsEachNameOnce() throws Exception {
    Set<String> seen = new HashSet<>();
    List<String> duplicates = names().stream().filter(n -> !seen.add(n)).toList();

    assertThat(duplicates).isEmpty();
  }

  @Test
  void hasNoBlankLinesAndNoStraySpaces() throws Exception {
    assertThat(lines()).noneMatch(String::isBlank);
    assertThat(names()).allMatch(n -> n.equals(n.strip()) && !n.contains(" "));
  }

  @Test
  void startsWithAProvenanceComment() throws Exception {
    assertThat(lines().getFirst()).startsWith("#");
    assertThat(String.join("\n", lines().subList(0, 8))).contains("Provenance:");
  }

  @Test
  void everyNameIsCapitalisedAsInRunningText() throws Exception {
    assertThat(names())
        .allSatisfy(n -> {
          assertThat(CodePoints.isCapital(n.codePointAt(0))).as(n).isTrue();
          assertThat(n.codePoints().anyMatch(CodePoints::isLower)).as(n).isTrue();
        });
  }

  @Test
  void coversTheLanguagesOfThePipeline() {
    Set<String> names = PersonRecognizer.firstNames(TestResource.firstNames());

    assertThat(names)
        .contains(
            "Mary",
            "James",
            "Jürgen",
            "Françoise",
            "Jean-Pierre",
            "Javier",
            "Giuseppe",
            "Pieter",
            "Sven",
            "Bjørn",
            "Jiří",
            "Katarzyna",
            "Ioannis");
  }
}
