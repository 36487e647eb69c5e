package dev.conveyor.steps.ner;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.runtime.step.StepInput;
import dev.conveyor.runtime.step.StepResult;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class CompanyRecognizerTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  static Stream<Examples.Example> examplesItGetsRight() {
    return Examples.load().all().stream().filter(e -> !e.knownErrors().contains(Entity.COMPANY));
  }

  static Stream<Examples.Example> examplesItIsKnownToGetWrong() {
    return Examples.load().all().stream().filter(e -> e.knownErrors().contains(Entity.COMPANY));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("examplesItGetsRight")
  void findsExactlyTheLabelledCompanies(Examples.Example example) {
    assertThat(CompanyRules.find(example.text(), example.offset()))
        .containsExactlyElementsOf(example.expectedRaw(Entity.COMPANY));
  }

  // why: a known error that starts to pass should move to the examples it gets right, so that
  // the precision and recall floors move up with it
  @ParameterizedTest(name = "{0}")
  @MethodSource("examplesItIsKnownToGetWrong")
  void knownErrorsAreStillErrors(Examples.Example example) {
    assertThat(CompanyRules.find(example.text(), example.offset()))
        .isNotEqualTo(example.expectedRaw(Entity.COMPANY));
  }

  @Test
  void theExamplesHoldAtLeastSixtyTextsWithCompanies() {
    assertThat(Examples.load().all())
        .filteredOn(e -> !e.gold(Entity.COMPANY).isEmpty())
        .hasSizeGreaterThanOrEqualTo(60);
  }

  @Test
  void outputsEntitiesWithCodePointOffsetsInTheWholeText() throws Exception {
    JsonNode part = JSON.readTree("{\"text\": \"\uD83D\uDE00 Acme Ltd. hired\", \"offset\": 100}");

    List<StepResult> results =
        new CompanyRecognizer().process(List.of(new StepInput("doc-1", 3, part)));

    assertThat(results)
        .containsExactly(
            StepResult.ok(
                JSON.readTree(
                    """
                    {"entities": [{"kind": "company", "surface": "Acme Ltd.", "start": 102,
                                   "end": 111}]}\
                    """)));
  }

  @Test
  void aPayloadWithoutOffsetCountsFromZero() throws Exception {
    JsonNode payload = JSON.readTree("{\"text\": \"Acme Ltd.\"}");

    List<StepResult> results =
        new CompanyRecognizer().process(List.of(new StepInput("doc-1", 0, payload)));

    assertThat(((StepResult.Ok) results.getFirst()).output().at("/entities/0/start").intValue())
        .isZero();
  }

  @Test
  void anItemWithoutTextFailsAloneAndTheBatchGoesOn() throws Exception {
    List<StepInput> batch =
        List.of(
            new StepInput("doc-1", 0, JSON.readTree("{\"body\": \"Acme Ltd.\"}")),
            new StepInput("doc-1", 1, JSON.readTree("{\"text\": \"Acme Ltd.\", \"offset\": -1}")),
            new StepInput("doc-1", 2, JSON.readTree("{\"text\": \"Acme Ltd.\", \"offset\": 9}")));

    List<StepResult> results = new CompanyRecognizer().process(batch);

    assertThat(results.get(0)).isEqualTo(StepResult.failed("input has no string 'text'"));
    assertThat(results.get(1))
        .isEqualTo(StepResult.failed("'offset' must be a non-negative integer, was -1"));
    assertThat(results.get(2)).isInstanceOf(StepResult.Ok.class);
  }

  @Test
  void anEmptyTextHasNoCompanies() {
    assertThat(CompanyRules.find("", 0)).isEmpty();
  }

  @Test
  void aNameDoesNotRunIntoTheCompanyBeforeIt() {
    assertThat(CompanyRules.find("Acme Ltd Globex Inc", 0))
        .extracting(Entity::surface)
        .containsExactly("Acme Ltd", "Globex Inc");
  }

  @Test
  void aNameHasAtMostEightWords() {
    assertThat(CompanyRules.find("One Two Three Four Five Six Seven Eight Nine Ltd", 0))
        .extracting(Entity::surface)
        .containsExactly("Two Three Four Five Six Seven Eight Nine Ltd");
  }

  @Test
  void aChineseNameRunIsCutToSixteenCharacters() {
    String name = "一二三四五六七八九十甲乙丙丁戊己庚辛";

    assertThat(CompanyRules.find(name + "有限公司", 0))
        .extracting(Entity::surface)
        .containsExactly(name.substring(name.length() - 16) + "有限公司");
  }
}
