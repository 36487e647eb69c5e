package dev.conveyor.steps.ner;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.runtime.step.StepInput;
import dev.conveyor.runtime.step.StepResult;
import java.util.List;
import org.junit.jupiter.api.Test;

class MergeEntitiesTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static JsonNode merged(int part, String input) throws Exception {
    List<StepResult> results =
        new MergeEntities().process(List.of(new StepInput("doc-1", part, JSON.readTree(input))));
    assertThat(results.getFirst()).isInstanceOf(StepResult.Ok.class);
    return ((StepResult.Ok) results.getFirst()).output();
  }

  @Test
  void joinsBothRecognisersInTextOrderAndTagsEachEntityWithItsPart() throws Exception {
    JsonNode out =
        merged(
            2,
            """
            {"company": {"entities": [{"kind": "company", "surface": "Acme Ltd.", "start": 40, "end": 49}]},
             "person": {"entities": [{"kind": "person", "surface": "Jane Smith", "start": 10, "end": 20}]}}
            """);

    assertThat(out)
        .isEqualTo(
            JSON.readTree(
                """
                {"entities": [
                  {"kind": "person", "surface": "Jane Smith", "start": 10, "end": 20, "part": 2},
                  {"kind": "company", "surface": "Acme Ltd.", "start": 40, "end": 49, "part": 2}]}
                """));
  }

  @Test
  void aCompanyWinsOverAPersonItOverlaps() throws Exception {
    JsonNode out =
        merged(
            0,
            """
            {"company": {"entities": [{"kind": "company", "surface": "Charles Schwab Corporation", "start": 0, "end": 26}]},
             "person": {"entities": [{"kind": "person", "surface": "Charles Schwab", "start": 0, "end": 14}]}}
            """);

    assertThat(out.at("/entities").size()).isEqualTo(1);
    assertThat(out.at("/entities/0/kind").textValue()).isEqualTo("company");
  }

  @Test
  void aCompanyWinsEvenOverALongerPerson() {
    Entity company = new Entity("company", "Smith Ltd", 5, 14);
    Entity person = new Entity("person", "Jane Q. Smith", 0, 10);

    assertThat(MergeEntities.merge(List.of(person, company))).containsExactly(company);
  }

  @Test
  void amongTheSameKindTheLongerSpanWins() {
    Entity shorter = new Entity("person", "Jane Smith", 0, 10);
    Entity longer = new Entity("person", "Jane Smith Jones", 0, 16);

    assertThat(MergeEntities.merge(List.of(shorter, longer))).containsExactly(longer);
  }

  @Test
  void amongOverlapsOfTheSameKindAndLengthTheEarlierWins() {
    Entity earlier = new Entity("person", "Ann Lee", 0, 7);
    Entity later = new Entity("person", "Lee Ann", 4, 11);

    assertThat(MergeEntities.merge(List.of(later, earlier))).containsExactly(earlier);
  }

  @Test
  void entitiesThatDoNotOverlapAreAllKeptAndTouchingSpansDoNotOverlap() {
    Entity a = new Entity("person", "Jane Smith", 0, 10);
    Entity b = new Entity("company", "Acme Ltd", 10, 18);
    Entity c = new Entity("person", "John Doe", 20, 28);

    assertThat(MergeEntities.merge(List.of(c, b, a))).containsExactly(a, b, c);
  }

  @Test
  void theSameEntityFromTwoPredecessorsIsKeptOnce() {
    Entity a = new Entity("person", "Jane Smith", 0, 10);

    assertThat(MergeEntities.merge(List.of(a, a))).containsExactly(a);
  }

  @Test
  void theOutcomeDoesNotDependOnTheInputOrder() {
    List<Entity> entities =
        List.of(
            new Entity("person", "Louis Vuitton", 20, 33),
            new Entity("company", "LVMH Moët Hennessy Louis Vuitton SE", 0, 36),
            new Entity("person", "Anna Roe", 40, 48),
            new Entity("person", "Roe Anna", 44, 52));

    List<Entity> expected = MergeEntities.merge(entities);
    assertThat(MergeEntities.merge(entities.reversed())).isEqualTo(expected);
    assertThat(expected)
        .extracting(Entity::surface)
        .containsExactly("LVMH Moët Hennessy Louis Vuitton SE", "Anna Roe");
  }

  @Test
  void emptyOutputsGiveNoEntities() throws Exception {
    JsonNode out = merged(1, "{\"company\": {\"entities\": []}, \"person\": {\"entities\": []}}");

    assertThat(out).isEqualTo(JSON.readTree("{\"entities\": []}"));
  }

  @Test
  void aMalformedInputFailsItsItemWithTheReason() throws Exception {
    List<StepInput> batch =
        List.of(
            new StepInput("doc-1", 0, JSON.readTree("[]")),
            new StepInput("doc-1", 1, JSON.readTree("{\"company\": {}}")),
            new StepInput(
                "doc-1",
                2,
                JSON.readTree(
                    "{\"person\": {\"entities\": [{\"kind\": \"person\", \"surface\": \"x\"}]}}")),
            new StepInput("doc-1", 3, JSON.readTree("{\"person\": {\"entities\": []}}")));

    List<StepResult> results = new MergeEntities().process(batch);

    assertThat(results.get(0))
        .isEqualTo(
            StepResult.failed("merge input must be an object of predecessor outputs, was array"));
    assertThat(results.get(1))
        .isEqualTo(StepResult.failed("output of 'company' has no 'entities' array"));
    assertThat(results.get(2)).isInstanceOf(StepResult.Failed.class);
    assertThat(((StepResult.Failed) results.get(2)).error()).contains("integer 'start'");
    assertThat(results.get(3)).isInstanceOf(StepResult.Ok.class);
  }
}
