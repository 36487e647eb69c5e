package dev.conveyor.steps.ner;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.runtime.step.StepInput;
import dev.conveyor.runtime.step.StepResult;
import java.util.List;
import org.junit.jupiter.api.Test;

class AssembleEntitiesTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static JsonNode assembled(String input) throws Exception {
    List<StepResult> results =
        new AssembleEntities()
            .process(List.of(new StepInput("doc-1", StepInput.TASK, JSON.readTree(input))));
    assertThat(results.getFirst()).isInstanceOf(StepResult.Ok.class);
    return ((StepResult.Ok) results.getFirst()).output();
  }

  @Test
  void turnsEveryPartsEntitiesIntoRowsSortedByKindThenStart() throws Exception {
    JsonNode out =
        assembled(
            """
            {"parts": 2, "dead": [], "outputs": {"merge": {
              "1": {"entities": [
                {"kind": "person", "surface": "John Doe", "start": 2010, "end": 2018, "part": 1},
                {"kind": "company", "surface": "Globex Inc.", "start": 2030, "end": 2041, "part": 1}]},
              "0": {"entities": [
                {"kind": "person", "surface": "Jane Smith", "start": 34, "end": 44, "part": 0},
                {"kind": "company", "surface": "Acme Ltd.", "start": 10, "end": 19, "part": 0}]}}}}
            """);

    assertThat(out)
        .isEqualTo(
            JSON.readTree(
                """
                {"rows": [
                  {"kind": "company", "surface": "Acme Ltd.", "start_offset": 10, "end_offset": 19, "part": 0},
                  {"kind": "company", "surface": "Globex Inc.", "start_offset": 2030, "end_offset": 2041, "part": 1},
                  {"kind": "person", "surface": "Jane Smith", "start_offset": 34, "end_offset": 44, "part": 0},
                  {"kind": "person", "surface": "John Doe", "start_offset": 2010, "end_offset": 2018, "part": 1}]}
                """));
  }

  @Test
  void rowsHaveExactlyTheColumnsOfNerEntitiesButTaskId() throws Exception {
    JsonNode row =
        assembled(
                """
                {"parts": 1, "dead": [], "outputs": {"merge": {"0": {"entities": [
                  {"kind": "person", "surface": "Jane Smith", "start": 0, "end": 10, "part": 0}]}}}}
                """)
            .at("/rows/0");

    assertThat(row.properties())
        .extracting(java.util.Map.Entry::getKey)
        .containsExactlyInAnyOrder("kind", "surface", "start_offset", "end_offset", "part");
    assertThat(row.get("start_offset").isInt()).isTrue();
    assertThat(row.get("part").isInt()).isTrue();
  }

  @Test
  void aKindAndStartFoundInTwoPartsIsOneRowTheLongerOneOfTheLowerPart() throws Exception {
    JsonNode out =
        assembled(
            """
            {"parts": 3, "dead": [], "outputs": {"merge": {
              "0": {"entities": [{"kind": "person", "surface": "Jane Smith", "start": 5, "end": 15, "part": 0}]},
              "1": {"entities": [{"kind": "person", "surface": "Jane Smith-Jones", "start": 5, "end": 21, "part": 1},
                                 {"kind": "company", "surface": "Jane Ltd", "start": 5, "end": 13, "part": 1}]},
              "2": {"entities": [{"kind": "person", "surface": "Jane Smith-Jones", "start": 5, "end": 21, "part": 2}]}}}}
            """);

    assertThat(out.get("rows")).hasSize(2);
    assertThat(out.at("/rows/0/kind").textValue()).isEqualTo("company");
    assertThat(out.at("/rows/1/surface").textValue()).isEqualTo("Jane Smith-Jones");
    assertThat(out.at("/rows/1/part").intValue()).isEqualTo(1);
  }

  @Test
  void deadPartsAreSkipped() throws Exception {
    JsonNode out =
        assembled(
            """
            {"parts": 3, "dead": [1], "outputs": {"merge": {
              "0": {"entities": [{"kind": "person", "surface": "Jane Smith", "start": 0, "end": 10, "part": 0}]},
              "1": {"entities": [{"kind": "person", "surface": "John Doe", "start": 2000, "end": 2008, "part": 1}]},
              "2": {"entities": [{"kind": "company", "surface": "Acme Ltd", "start": 4000, "end": 4008, "part": 2}]}}}}
            """);

    assertThat(out.get("rows")).extracting(r -> r.get("part").intValue()).containsExactly(2, 0);
  }

  @Test
  void anEntityWithoutItsOwnPartTakesThePartItIsListedUnder() throws Exception {
    JsonNode out =
        assembled(
            """
            {"parts": 4, "dead": [], "outputs": {"merge": {
              "3": {"entities": [{"kind": "person", "surface": "Jane Smith", "start": 6000, "end": 6010}]}}}}
            """);

    assertThat(out.at("/rows/0/part").intValue()).isEqualTo(3);
  }

  @Test
  void aTaskWithNoEntitiesHasNoRows() throws Exception {
    JsonNode out =
        assembled(
            """
            {"parts": 2, "dead": [1], "outputs": {"merge": {"0": {"entities": []}}}}
            """);

    assertThat(out).isEqualTo(JSON.readTree("{\"rows\": []}"));
  }

  @Test
  void aMalformedInputFailsItsItemWithTheReason() throws Exception {
    List<StepInput> batch =
        List.of(
            new StepInput("doc-1", StepInput.TASK, JSON.readTree("{\"parts\": 1}")),
            new StepInput(
                "doc-2",
                StepInput.TASK,
                JSON.readTree("{\"outputs\": {\"merge\": {\"zero\": {\"entities\": []}}}}")),
            new StepInput(
                "doc-3", StepInput.TASK, JSON.readTree("{\"outputs\": {\"merge\": {\"0\": {}}}}")),
            new StepInput(
                "doc-4",
                StepInput.TASK,
                JSON.readTree("{\"dead\": [\"x\"], \"outputs\": {\"merge\": {}}}")));

    List<StepResult> results = new AssembleEntities().process(batch);

    assertThat(results)
        .containsExactly(
            StepResult.failed("assemble input must be an object with 'outputs', was object"),
            StepResult.failed("outputs of 'merge' must be keyed by part number, found 'zero'"),
            StepResult.failed("output of 'merge' for part 0 has no 'entities' array"),
            StepResult.failed("'dead' must hold part numbers, found \"x\""));
  }
}
