package dev.conveyor.steps.ner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.conveyor.runtime.resource.MappedResource;
import dev.conveyor.runtime.resource.SharedResources;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The word lists of the person rules and their file, {@code data/person_words.txt}. */
class PersonWordsTest {
  private static final String ALL_LISTS =
      """
      [particles]
      van
      [capital_particles]
      Van
      [surname_prefixes]
      al-
      [saints]
      San
      [not_surnames]
      Street
      """;

  private static PersonWords parse(String text) {
    return PersonWords.parse(List.of(text.split("\n", -1)), "test");
  }

  @Test
  void theShippedFileHoldsEveryListTheRulesUse() {
    PersonWords words = PersonWords.of(TestResource.personWords());

    assertThat(words.particles()).contains("van", "de", "bin").doesNotContain("Van");
    assertThat(words.capitalParticles()).contains("Van", "De", "Le");
    assertThat(words.surnamePrefixes()).containsExactly("al-", "el-", "d'", "d\u2019");
    assertThat(words.saints()).contains("Saint", "St", "S\u00e3o");
    assertThat(words.notSurnames())
        .contains("The", "Für", "Street", "Zürich", "Chancellor")
        .doesNotContain("May", "King", "Saint")
        .hasSizeGreaterThan(500);
  }

  @Test
  void readsListsWordsSeparatedBySpacesAndSkipsCommentsAndBlankLines() {
    PersonWords words =
        parse(
            """
            # a comment
            [particles]
            van  von
              de\tder\r

            # another
            [capital_particles]
            Van
            [surname_prefixes]
            d' al-
            el-
            [saints]
            San
            [not_surnames]
            Street Road
            """);

    assertThat(words.particles()).containsExactlyInAnyOrder("van", "von", "de", "der");
    assertThat(words.surnamePrefixes()).containsExactly("d'", "al-", "el-");
    assertThat(words.notSurnames()).containsExactlyInAnyOrder("Street", "Road");
  }

  @Test
  void refusesAnUnknownList() {
    assertThatThrownBy(() -> parse(ALL_LISTS + "[surnames]\nSmith\n"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "test line 11: unknown list [surnames] (known: [particles, capital_particles,"
                + " surname_prefixes, saints, not_surnames])");
  }

  @Test
  void refusesAListThatComesTwice() {
    assertThatThrownBy(() -> parse(ALL_LISTS + "[saints]\nSt\n"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("test line 11: list [saints] comes twice");
  }

  @Test
  void refusesWordsBeforeTheFirstList() {
    assertThatThrownBy(() -> parse("# lists\nvan\n" + ALL_LISTS))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("test line 2: words before the first [list]");
  }

  @Test
  void refusesAMissingList() {
    assertThatThrownBy(() -> parse("[particles]\nvan\n[saints]\nSan\n"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("test: no list [capital_particles, surname_prefixes, not_surnames]");
  }

  @Test
  void workersOfOneJvmShareOneCopyOfTheLists() {
    var registry = new SharedResources();
    try (MappedResource one = registry.acquire("person_words", TestResource.personWordsFile());
        MappedResource two = registry.acquire("person_words", TestResource.personWordsFile())) {
      assertThat(PersonWords.of(two)).isSameAs(PersonWords.of(one));
    }
  }
}
