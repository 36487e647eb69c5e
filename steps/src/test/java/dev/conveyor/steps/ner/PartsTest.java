package dev.conveyor.steps.ner;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conveyor.runtime.step.Step;
import dev.conveyor.runtime.step.StepContext;
import dev.conveyor.runtime.step.StepInput;
import dev.conveyor.runtime.step.StepResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A text split into parts, as the dispatcher's text split does it (at a space after a sentence end,
 * each part with its offset in code points), gives the same entities at the same whole-text offsets
 * as the text in one piece; and the four steps chained by hand give the rows the sink would insert.
 */
class PartsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Every single-line example at offset 0, each followed by a space, some by an emoji too. */
  static List<String> sentences() {
    List<String> sentences = new ArrayList<>();
    for (Examples.Example e : Examples.load().all()) {
      if (e.offset() == 0 && e.text().indexOf('\n') < 0) {
        sentences.add(e.text() + (sentences.size() % 3 == 0 ? " \uD83D\uDE00 " : " "));
      }
    }
    return sentences;
  }

  static String longText() {
    return String.join("", sentences());
  }

  /**
   * Sentences grouped into parts of about {@code maxChars} UTF-16 units. Why between sentences
   * only: the dispatcher cuts after any period and space, so "E. I. du Pont de Nemours and Company"
   * may be cut after "E. " and then no part holds the whole name; that is a limit of splitting, not
   * of the recognisers, and it is not what this test is about.
   */
  static List<String> cut(int maxChars) {
    List<String> parts = new ArrayList<>();
    StringBuilder part = new StringBuilder();
    for (String sentence : sentences()) {
      part.append(sentence);
      if (part.length() >= maxChars) {
        parts.add(part.toString());
        part.setLength(0);
      }
    }
    if (!part.isEmpty()) {
      parts.add(part.toString());
    }
    return parts;
  }

  static List<ObjectNode> partInputs(List<String> parts) {
    List<ObjectNode> inputs = new ArrayList<>();
    int offset = 0;
    for (String part : parts) {
      inputs.add(JSON.createObjectNode().put("text", part).put("offset", offset));
      offset += part.codePointCount(0, part.length());
    }
    return inputs;
  }

  @Test
  void partsFindWhatTheWholeTextFindsAtTheSameWholeTextOffsets() {
    String text = longText();
    PersonRules persons = TestResource.personRules();
    List<Entity> whole = new ArrayList<>(CompanyRules.find(text, 0));
    whole.addAll(persons.find(text, 0));

    List<String> parts = cut(200);
    List<Entity> fromParts = new ArrayList<>();
    for (ObjectNode part : partInputs(parts)) {
      String partText = part.get("text").textValue();
      int offset = part.get("offset").intValue();
      fromParts.addAll(CompanyRules.find(partText, offset));
      fromParts.addAll(persons.find(partText, offset));
    }

    assertThat(parts).hasSizeGreaterThan(20);
    assertThat(String.join("", parts)).isEqualTo(text);
    assertThat(fromParts).containsExactlyInAnyOrderElementsOf(whole).hasSizeGreaterThan(250);
    int[] cps = text.codePoints().toArray();
    assertThat(fromParts)
        .allSatisfy(
            e -> assertThat(CodePoints.text(cps, e.start(), e.end())).isEqualTo(e.surface()));
  }

  @Test
  void theStepsChainedOverPartsDeliverTheRowsOfTheWholeText() throws Exception {
    String text = longText();
    JsonNode onePart = rows(List.of(text), Set.of());
    JsonNode manyParts = rows(cut(300), Set.of());

    assertThat(manyParts.get("rows")).hasSizeGreaterThan(200);
    assertThat(withoutParts(manyParts)).isEqualTo(withoutParts(onePart));
  }

  @Test
  void aDeadPartDeliversNoRows() throws Exception {
    List<String> parts = List.of("Acme Ltd. hired Jane Smith. ", "Globex Inc. hired John Doe.");

    JsonNode rows = rows(parts, Set.of(0));

    assertThat(rows)
        .isEqualTo(
            JSON.readTree(
                """
                {"rows": [
                  {"kind": "company", "surface": "Globex Inc.", "start_offset": 28, "end_offset": 39, "part": 1},
                  {"kind": "person", "surface": "John Doe", "start_offset": 46, "end_offset": 54, "part": 1}]}
                """));
  }

  /** company and person per part, merge per part, assemble per task: the pipeline by hand. */
  private static JsonNode rows(List<String> parts, Set<Integer> dead) throws Exception {
    Step company = new CompanyRecognizer();
    Step person = new PersonRecognizer();
    person.open(new StepContext("ner", "person", 0, Map.of(), TestResource.personResources()));
    Step merge = new MergeEntities();
    List<ObjectNode> inputs = partInputs(parts);
    ObjectNode mergeOutputs = JSON.createObjectNode();
    for (int part = 0; part < inputs.size(); part++) {
      if (dead.contains(part)) {
        continue;
      }
      StepInput in = new StepInput("doc-1", part, inputs.get(part));
      ObjectNode joined = JSON.createObjectNode();
      joined.set("company", ok(company.process(List.of(in))));
      joined.set("person", ok(person.process(List.of(in))));
      mergeOutputs.set(
          Integer.toString(part), ok(merge.process(List.of(new StepInput("doc-1", part, joined)))));
    }
    ObjectNode task = JSON.createObjectNode().put("parts", parts.size());
    dead.forEach(task.putArray("dead")::add);
    task.putObject("outputs").set("merge", mergeOutputs);
    return ok(new AssembleEntities().process(List.of(new StepInput("doc-1", -1, task))));
  }

  private static JsonNode ok(List<StepResult> results) {
    assertThat(results).hasSize(1).first().isInstanceOf(StepResult.Ok.class);
    return ((StepResult.Ok) results.getFirst()).output();
  }

  private static List<JsonNode> withoutParts(JsonNode rows) {
    List<JsonNode> out = new ArrayList<>();
    rows.get("rows").forEach(r -> out.add(((ObjectNode) r.deepCopy()).without("part")));
    return out;
  }
}
