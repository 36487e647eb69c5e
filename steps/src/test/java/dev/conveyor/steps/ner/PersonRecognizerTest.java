package dev.conveyor.steps.ner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.runtime.resource.MappedResource;
import dev.conveyor.runtime.resource.SharedResources;
import dev.conveyor.runtime.step.StepContext;
import dev.conveyor.runtime.step.StepInput;
import dev.conveyor.runtime.step.StepResult;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class PersonRecognizerTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final PersonRules RULES = TestResource.personRules();

  static Stream<Examples.Example> examplesItGetsRight() {
    return Examples.load().all().stream().filter(e -> !e.knownErrors().contains(Entity.PERSON));
  }

  static Stream<Examples.Example> examplesItIsKnownToGetWrong() {
    return Examples.load().all().stream().filter(e -> e.knownErrors().contains(Entity.PERSON));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("examplesItGetsRight")
  void findsExactlyTheLabelledPersons(Examples.Example example) {
    assertThat(RULES.find(example.text(), example.offset()))
        .containsExactlyElementsOf(example.expectedRaw(Entity.PERSON));
  }

  // why: a known error that starts to pass should move to the examples it gets right, so that
  // the precision and recall floors move up with it
  @ParameterizedTest(name = "{0}")
  @MethodSource("examplesItIsKnownToGetWrong")
  void knownErrorsAreStillErrors(Examples.Example example) {
    assertThat(RULES.find(example.text(), example.offset()))
        .isNotEqualTo(example.expectedRaw(Entity.PERSON));
  }

  @Test
  void theExamplesHoldAtLeastSixtyTextsWithPersons() {
    assertThat(Examples.load().all())
        .filteredOn(e -> !e.gold(Entity.PERSON).isEmpty())
        .hasSizeGreaterThanOrEqualTo(60);
  }

  @Test
  void readsTheGazetteerFromItsResourceWhenOpened() throws Exception {
    var step = new PersonRecognizer();
    step.open(withFirstNames("# names\nJane\n"));

    List<StepResult> results =
        step.process(
            List.of(
                new StepInput(
                    "doc-1", 0, JSON.readTree("{\"text\": \"Jane Doe met John Roe.\"}"))));

    assertThat(results)
        .containsExactly(
            StepResult.ok(
                JSON.readTree(
                    """
                    {"entities": [{"kind": "person", "surface": "Jane Doe", "start": 0,
                                   "end": 8}]}\
                    """)));
  }

  @Test
  void refusesToOpenWithoutTheGazetteer() {
    var step = new PersonRecognizer();

    assertThatThrownBy(() -> step.open(context(Map.of())))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "step 'person' needs the resource 'first_names' (add 'resources: [first_names]' to the"
                + " step)");
  }

  @Test
  void refusesToOpenWithoutTheWordLists() {
    var step = new PersonRecognizer();

    assertThatThrownBy(() -> step.open(context(Map.of("first_names", TestResource.firstNames()))))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "step 'person' needs the resource 'person_words' (add 'resources: [person_words]' to"
                + " the step)");
  }

  @Test
  void workersOfOneJvmShareOneFirstNameSet() throws Exception {
    var registry = new SharedResources();
    try (MappedResource one = registry.acquire("first_names", TestResource.firstNamesFile());
        MappedResource two = registry.acquire("first_names", TestResource.firstNamesFile())) {
      Set<String> first = PersonRecognizer.firstNames(one);
      Set<String> second = PersonRecognizer.firstNames(two);

      assertThat(second).isSameAs(first).contains("Jane", "Søren", "Владимир");
    }
  }

  @Test
  void skipsCommentsAndBlankLinesOfTheGazetteer() {
    Set<String> names =
        PersonRecognizer.readFirstNames(
            new TestResource("first_names", "# a comment\n\nJane\r\n  John \n#Jim\n"));

    assertThat(names).containsExactlyInAnyOrder("Jane", "John");
  }

  @Test
  void anItemWithoutTextFailsAloneAndTheBatchGoesOn() throws Exception {
    var step = new PersonRecognizer();
    step.open(withFirstNames("Jane\n"));

    List<StepResult> results =
        step.process(
            List.of(
                new StepInput("doc-1", 0, JSON.readTree("[1, 2]")),
                new StepInput(
                    "doc-1", 1, JSON.readTree("{\"text\": \"Jane Doe\", \"offset\": 5}"))));

    assertThat(results.get(0)).isEqualTo(StepResult.failed("input has no string 'text'"));
    assertThat(((StepResult.Ok) results.get(1)).output().at("/entities/0/start").intValue())
        .isEqualTo(5);
  }

  @Test
  void aFirstNameAloneIsNoPerson() {
    assertThat(RULES.find("Jane", 0)).isEmpty();
    assertThat(RULES.find("Jane.", 0)).isEmpty();
    assertThat(RULES.find("Jane Q.", 0)).isEmpty();
  }

  @Test
  void aNameHasAtMostFourNameElementsAfterTheFirstName() {
    assertThat(RULES.find("Jane Alpha Beta Gamma Delta Epsilon", 0))
        .extracting(Entity::surface)
        .containsExactly("Jane Alpha Beta Gamma Delta");
  }

  @Test
  void particlesWithoutASurnameAfterThemEndTheName() {
    assertThat(RULES.find("Jane Smith van der", 0))
        .extracting(Entity::surface)
        .containsExactly("Jane Smith");
    assertThat(RULES.find("Jane van 42", 0)).isEmpty();
  }

  @Test
  void namesAreFoundOneAfterAnother() {
    assertThat(RULES.find("Jane Smith John Doe", 0))
        .extracting(Entity::surface)
        .containsExactly("Jane Smith John Doe");
    assertThat(RULES.find("Jane Smith, John Doe", 0))
        .extracting(Entity::surface)
        .containsExactly("Jane Smith", "John Doe");
  }

  /** The shipped word lists, and {@code gazetteer} as the first names. */
  private static StepContext withFirstNames(String gazetteer) {
    return context(
        Map.of(
            "first_names",
            new TestResource("first_names", gazetteer),
            "person_words",
            TestResource.personWords()));
  }

  private static StepContext context(Map<String, StepContext.SharedResource> resources) {
    return new StepContext("ner", "person", 0, Map.of(), resources);
  }
}
