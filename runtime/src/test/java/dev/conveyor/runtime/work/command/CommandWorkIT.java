package dev.conveyor.runtime.work.command;

import static dev.conveyor.runtime.work.command.TestPrograms.error;
import static dev.conveyor.runtime.work.command.TestPrograms.item;
import static dev.conveyor.runtime.work.command.TestPrograms.output;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.common.test.CapturedLog;
import dev.conveyor.runtime.ledger.QueueItem;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.PipelineLoader;
import dev.conveyor.runtime.work.ItemResult;
import dev.conveyor.runtime.work.WorkItem;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A command step doing its work with real python3 processes. */
class CommandWorkIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration TIMEOUT = Duration.ofSeconds(20);

  @TempDir Path dir;

  @BeforeAll
  static void python() {
    TestPrograms.requirePython();
  }

  @Test
  void theExampleStepUpperCasesTextAndAnswersInBatchOrder() {
    try (var work =
        new CommandWork(
            "upper-order",
            List.of("python3", TestPrograms.upperPy().toString()),
            dir,
            3,
            TIMEOUT,
            Map.of())) {
      work.start();
      List<WorkItem> batch =
          IntStream.range(0, 20)
              .mapToObj(i -> item("t-1", i, "{\"text\": \"item ë" + i + "\"}"))
              .toList();

      List<ItemResult> results = work.process(batch);

      assertThat(results)
          .extracting(TestPrograms::output)
          .containsExactlyElementsOf(
              IntStream.range(0, 20)
                  .mapToObj(i ->
                      "{\"text\":\"ITEM Ë" + i + "\",\"length\":" + ("item ë" + i).length() + "}")
                  .toList());
      assertThat(work.pids()).hasSize(3);
    }
  }

  @Test
  void aBatchIsSplitInContiguousChunksOneWorkerEach() throws IOException {
    Path behave = TestPrograms.write(dir, "behave.py", TestPrograms.BEHAVE);
    try (var work =
        new CommandWork(
            "split", List.of("python3", behave.toString()), dir, 3, TIMEOUT, Map.of())) {
      work.start();

      List<JsonNode> answers = outputs(work.process(numbered(10)));

      assertThat(answers)
          .extracting(a -> a.get("n").asInt())
          .containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
      List<String> workers = answers.stream().map(a -> a.get("worker").asText()).toList();
      assertThat(workers.subList(0, 3)).containsOnly(workers.get(0));
      assertThat(workers.subList(3, 6)).containsOnly(workers.get(3));
      assertThat(workers.subList(6, 10)).containsOnly(workers.get(6));
      assertThat(workers).containsOnly("0", "1", "2").contains("0", "1", "2");
    }
  }

  @Test
  void aFailedItemDoesNotFailTheOthers() {
    try (var work =
        new CommandWork(
            "upper-fail",
            List.of("python3", TestPrograms.upperPy().toString()),
            dir,
            2,
            TIMEOUT,
            Map.of())) {
      work.start();

      List<ItemResult> results =
          work.process(
              List.of(
                  item("t", 0, "{\"text\": \"a\"}"),
                  item("t", 1, "{\"words\": [\"b\"]}"),
                  item("t", 2, "not json"),
                  item("t", 3, "{\"text\": \"d\"}")));

      assertThat(output(results.get(0))).isEqualTo("{\"text\":\"A\",\"length\":1}");
      assertThat(error(results.get(1))).isEqualTo("input has no string 'text'");
      assertThat(error(results.get(2))).startsWith("input is not JSON");
      assertThat(output(results.get(3))).isEqualTo("{\"text\":\"D\",\"length\":1}");
    }
  }

  @Test
  void aTaskScopeItemIsSentAsPartMinusOne() throws IOException {
    Path behave = TestPrograms.write(dir, "behave.py", TestPrograms.BEHAVE);
    try (var work =
        new CommandWork(
            "scope", List.of("python3", behave.toString()), dir, 1, TIMEOUT, Map.of())) {
      work.start();

      JsonNode answer =
          outputs(work.process(List.of(item("doc-9", QueueItem.TASK, "{\"n\": 1}")))).getFirst();

      assertThat(answer.get("task_id").asText()).isEqualTo("doc-9");
      assertThat(answer.get("part").asInt()).isEqualTo(-1);
    }
  }

  @Test
  void optionsReachTheProgramAsJsonAndTheDaemonsOwnVariablesDoNot() throws IOException {
    Path env =
        TestPrograms.write(
            dir,
            "env.py",
            """
            import json, os, sys
            for line in sys.stdin:
                data = {"options": json.loads(os.environ["CONVEYOR_STEP_OPTIONS"]),
                        "conveyor": sorted(k for k in os.environ if k.startswith("CONVEYOR_")),
                        "step": os.environ["CONVEYOR_STEP"]}
                print(json.dumps({"ok": True, "data": data}), flush=True)
            """);
    Map<String, Object> options =
        Map.of("threshold", 0.5, "labels", List.of("PER", "ORG"), "name", "Zoë");
    try (var work =
        new CommandWork("options", List.of("python3", env.toString()), dir, 1, TIMEOUT, options)) {
      work.start();

      JsonNode answer = outputs(work.process(List.of(item("t", 0, "{}")))).getFirst();

      assertThat(
              JSON.convertValue(answer.get("options"), new TypeReference<Map<String, Object>>() {}))
          .isEqualTo(options);
      assertThat(answer.get("conveyor"))
          .extracting(JsonNode::asText)
          .containsExactly("CONVEYOR_STEP", "CONVEYOR_STEP_OPTIONS", "CONVEYOR_WORKER");
      assertThat(answer.get("step").asText()).isEqualTo("options");
    }
    try (var work =
        new CommandWork(
            "upper-options",
            List.of("python3", TestPrograms.upperPy().toString()),
            dir,
            1,
            TIMEOUT,
            Map.of("suffix", "!"))) {
      work.start();

      assertThat(output(work.process(List.of(item("t", 0, "{\"text\": \"hi\"}"))).getFirst()))
          .isEqualTo("{\"text\":\"HI!\",\"length\":2}");
    }
  }

  @Test
  void aStepFromAPipelineFileRunsInItsDirectorySoRelativePathsWork() throws IOException {
    Path where =
        TestPrograms.write(
            dir,
            "steps/where.py",
            """
            #!/usr/bin/env python3
            import json, os, sys
            for line in sys.stdin:
                with open("steps/data.txt") as f:
                    data = {"cwd": os.getcwd(), "data": f.read().strip(), "argv": sys.argv[1:]}
                print(json.dumps({"ok": True, "data": data}), flush=True)
            """);
    Files.setPosixFilePermissions(where, PosixFilePermissions.fromString("rwxr-xr-x"));
    TestPrograms.write(dir, "steps/data.txt", "found me\n");
    Path yaml =
        TestPrograms.write(
            dir,
            "demo.yaml",
            """
            pipeline: demo
            version: 1
            split: {mode: none}
            steps:
              - name: where
                kind: command
                command: [steps/where.py, --flag, two words]
                workers: 2
                timeout: 10s
            """);
    Pipeline pipeline = PipelineLoader.loadFile(yaml);
    try (var work = CommandWork.of(pipeline, pipeline.step("where").orElseThrow())) {
      work.start();

      JsonNode answer = outputs(work.process(List.of(item("t", 0, "{}")))).getFirst();

      assertThat(Path.of(answer.get("cwd").asText())).isEqualTo(dir.toRealPath());
      assertThat(answer.get("data").asText()).isEqualTo("found me");
      assertThat(answer.get("argv"))
          .extracting(JsonNode::asText)
          .containsExactly("--flag", "two words");
      assertThat(TestPrograms.threadsOf("demo.where"))
          .contains("cmd-demo.where-0-stderr", "cmd-demo.where-1-stderr");
    }
  }

  @Test
  void concurrentBatchesFromTwoShardsEachGetTheirOwnResults() throws Exception {
    Path behave = TestPrograms.write(dir, "behave.py", TestPrograms.BEHAVE);
    try (var work =
            new CommandWork(
                "shards", List.of("python3", behave.toString()), dir, 3, TIMEOUT, Map.of());
        ExecutorService shards = Executors.newVirtualThreadPerTaskExecutor()) {
      work.start();
      List<Future<List<String>>> runs = new ArrayList<>();
      for (int shard = 0; shard < 4; shard++) {
        String task = "task-" + shard;
        runs.add(
            shards.submit(() -> {
              List<String> seen = new ArrayList<>();
              for (int round = 0; round < 5; round++) {
                List<WorkItem> batch =
                    IntStream.range(0, 7)
                        .mapToObj(i -> item(task, i, "{\"n\": " + i + "}"))
                        .toList();
                for (JsonNode a : outputs(work.process(batch))) {
                  seen.add(a.get("task_id").asText() + "/" + a.get("n").asInt());
                }
              }
              return seen;
            }));
      }

      for (int shard = 0; shard < 4; shard++) {
        String task = "task-" + shard;
        List<String> expected = new ArrayList<>();
        for (int round = 0; round < 5; round++) {
          IntStream.range(0, 7).forEach(i -> expected.add(task + "/" + i));
        }
        assertThat(runs.get(shard).get(30, TimeUnit.SECONDS)).containsExactlyElementsOf(expected);
      }
      assertThat(work.pids()).hasSize(3);
    }
  }

  @Test
  void eachStderrLineBecomesOneLogEventOnTheWorkersStderrThread() throws IOException {
    Path behave = TestPrograms.write(dir, "behave.py", TestPrograms.BEHAVE);
    try (var log = new CapturedLog(CommandWorker.class);
        var work =
            new CommandWork(
                "stderr", List.of("python3", behave.toString()), dir, 1, TIMEOUT, Map.of())) {
      work.start();

      work.process(
          List.of(
              item(
                  "t",
                  0,
                  "{\"do\": \"stderr\", \"lines\": [\"first\", \"second, with \\\"quotes\\\"\","
                      + " \"\", \"f\\u00fcnf\"]}")));

      await()
          .atMost(5, TimeUnit.SECONDS)
          .untilAsserted(() ->
              assertThat(log.events("worker_stderr"))
                  .extracting(e -> e.get("line"))
                  .containsExactly(
                      "behave.py ready", "first", "second, with \"quotes\"", "", "fünf"));
      assertThat(log.events("worker_stderr"))
          .allSatisfy(e -> {
            assertThat(e.get("level")).isEqualTo("INFO");
            assertThat(e.get("step")).isEqualTo("stderr");
            assertThat(e.get("worker")).isEqualTo(0);
            assertThat(e.get("thread")).isEqualTo("cmd-stderr-0-stderr");
          });
    }
  }

  private static List<WorkItem> numbered(int count) {
    return IntStream.range(0, count).mapToObj(i -> item("t", i, "{\"n\": " + i + "}")).toList();
  }

  private static List<JsonNode> outputs(List<ItemResult> results) {
    List<JsonNode> nodes = new ArrayList<>();
    for (ItemResult r : results) {
      try {
        nodes.add(JSON.readTree(output(r)));
      } catch (IOException e) {
        throw new AssertionError(e);
      }
    }
    return nodes;
  }
}
