package dev.conveyor.steps.ner;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conveyor.runtime.step.StepContext;
import dev.conveyor.runtime.step.StepInput;
import dev.conveyor.runtime.step.StepResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Python person step ({@code deploy/pipelines/steps/person.py}, run as a process speaking the
 * command-step protocol) and the Java one ({@link PersonRecognizer}) give the same answers: over
 * every labelled example and over some 46,000 texts built from every combination of tricky words
 * and separators. Needs {@code python3} on the PATH.
 */
class PersonAgreementTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path PIPELINES = TestResource.repositoryRoot().resolve("deploy/pipelines");

  /** Words that exercise every rule: names, particles, initials, stops, scripts, punctuation. */
  private static final List<String> WORDS =
      List.of(
          "Jane",
          "Mary-Jane",
          "Will",
          "van",
          "De",
          "der",
          "Q.",
          "J.R.",
          "Smith",
          "O'Brien",
          "al-Hassan",
          "d'Estaing",
          "Smith's",
          "Watson-Parker",
          "McDonald",
          "Street",
          "May",
          "the",
          "St.",
          "San",
          "Le",
          "Ünal",
          "Владимир",
          "Путин",
          "😀",
          "42",
          "Jane2",
          ",",
          "IBM",
          "Öz",
          "Mary-jane",
          "X",
          // why: combining marks, which start no word but continue one (a mark before a name, in
          // one, before a joiner)
          "\u0301Jane",
          "Rene\u0301",
          "x\u0301-Smith");

  private static final List<String> SEPARATORS =
      List.of("", " ", "  ", "\t", "\u00a0", "\u3000", "\n", ".", ". ", "-", "'", "\u2019", "’s ");

  static List<JsonNode> inputs() {
    List<JsonNode> inputs = new ArrayList<>();
    for (Examples.Example e : Examples.load().all()) {
      inputs.add(JSON.createObjectNode().put("text", e.text()).put("offset", e.offset()));
    }
    for (String a : WORDS) {
      for (String b : WORDS) {
        for (String c : WORDS) {
          inputs.add(part(a + " " + b + " " + c, inputs.size() % 7 * 1000));
        }
        for (String sep : SEPARATORS) {
          inputs.add(part(a + sep + b + " Smith", 0));
        }
      }
    }
    inputs.add(JSON.createObjectNode().put("body", "no text"));
    inputs.add(JSON.createObjectNode().put("text", "Jane Doe").put("offset", -3));
    inputs.add(JSON.createObjectNode().put("text", "Jane Doe").putNull("offset"));
    inputs.add(JSON.createObjectNode().put("text", ""));
    return inputs;
  }

  private static ObjectNode part(String text, int offset) {
    return JSON.createObjectNode().put("text", text).put("offset", offset);
  }

  @Test
  void pythonAndJavaFindTheSamePersons(@TempDir Path tmp) throws Exception {
    List<JsonNode> inputs = inputs();
    Path requests = tmp.resolve("requests.jsonl");
    StringBuilder lines = new StringBuilder();
    for (int i = 0; i < inputs.size(); i++) {
      ObjectNode request = JSON.createObjectNode().put("task_id", "doc-" + i).put("part", 0);
      request.set("input", inputs.get(i));
      lines.append(JSON.writeValueAsString(request)).append('\n');
    }
    Files.writeString(requests, lines, UTF_8);

    List<String> answers =
        runPython(
            tmp,
            requests,
            Map.of(
                "CONVEYOR_STEP_OPTIONS",
                "{\"first_names\": \"data/first_names.txt\","
                    + " \"person_words\": \"data/person_words.txt\"}"));

    var java = new PersonRecognizer();
    java.open(new StepContext("ner", "person", 0, Map.of(), TestResource.personResources()));
    List<StepResult> expected =
        java.process(inputs.stream().map(in -> new StepInput("doc", 0, in)).toList());

    // why: person.py, on the step library, first says hello (it takes batches)
    assertThat(answers.getFirst()).startsWith("{\"hello\": {\"batch\": true");
    answers = answers.subList(1, answers.size());
    assertThat(answers).as("one answer per request").hasSize(inputs.size());
    List<String> disagreements = new ArrayList<>();
    for (int i = 0; i < inputs.size(); i++) {
      JsonNode answer = JSON.readTree(answers.get(i));
      JsonNode javaAnswer =
          switch (expected.get(i)) {
            case StepResult.Ok ok ->
                JSON.createObjectNode().put("ok", true).set("data", ok.output());
            case StepResult.Failed f ->
                JSON.createObjectNode().put("ok", false).put("error", f.error());
          };
      if (!answer.equals(javaAnswer) && disagreements.size() < 20) {
        disagreements.add(inputs.get(i) + "\n  python: " + answer + "\n  java:   " + javaAnswer);
      }
    }
    assertThat(disagreements).as("inputs where person.py and PersonRecognizer differ").isEmpty();
    assertThat(inputs).hasSizeGreaterThan(30_000);
  }

  @Test
  void pythonAndJavaUseTheSameWordLists(@TempDir Path tmp) throws Exception {
    Path empty = Files.writeString(tmp.resolve("empty"), "");
    List<String> out = runPython(tmp, empty, Map.of(), "--lexicon");

    JsonNode python = JSON.readTree(String.join("\n", out));
    PersonWords words = PersonWords.of(TestResource.personWords());
    Map<String, List<String>> java = words.lexicon();
    assertThat(iterableNames(python)).containsExactlyInAnyOrderElementsOf(java.keySet());
    for (var list : java.entrySet()) {
      TreeSet<String> fromPython = new TreeSet<>();
      python.get(list.getKey()).forEach(w -> fromPython.add(w.textValue()));
      assertThat(fromPython).as(list.getKey()).isEqualTo(new TreeSet<>(list.getValue()));
    }
    assertThat(python.get("surname_prefixes"))
        .extracting(JsonNode::textValue)
        .containsExactlyElementsOf(words.surnamePrefixes());
  }

  private static List<String> iterableNames(JsonNode object) {
    List<String> names = new ArrayList<>();
    object.properties().forEach(e -> names.add(e.getKey()));
    return names;
  }

  /** Runs person.py in the pipeline directory, as the processor does; stdout's lines. */
  private static List<String> runPython(
      Path tmp, Path stdin, Map<String, String> env, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("python3", "steps/person.py"));
    command.addAll(List.of(args));
    Path stdout = tmp.resolve("stdout-" + args.length);
    Path stderr = tmp.resolve("stderr-" + args.length);
    ProcessBuilder pb =
        new ProcessBuilder(command)
            .directory(PIPELINES.toFile())
            .redirectInput(stdin.toFile())
            .redirectOutput(stdout.toFile())
            .redirectError(stderr.toFile());
    pb.environment().putAll(env);
    Process process;
    try {
      process = pb.start();
    } catch (IOException e) {
      return fail(
          "this test runs deploy/pipelines/steps/person.py and needs python3 on the PATH: "
              + e.getMessage());
    }
    if (!process.waitFor(120, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      return fail("person.py did not finish within 120 s");
    }
    assertThat(process.exitValue())
        .as("person.py exit status; stderr: %s", Files.readString(stderr, UTF_8))
        .isZero();
    return Files.readAllLines(stdout, UTF_8);
  }
}
