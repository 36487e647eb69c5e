package dev.conveyor.runtime.work.command;

import static dev.conveyor.runtime.work.command.TestPrograms.error;
import static dev.conveyor.runtime.work.command.TestPrograms.item;
import static dev.conveyor.runtime.work.command.TestPrograms.output;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.common.test.CapturedLog;
import dev.conveyor.runtime.work.ItemResult;
import dev.conveyor.runtime.work.WorkItem;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The batch form of the command step protocol, against real python3 processes: a program that says
 * hello with {@code "batch": true} gets a chunk as one request, and whatever it does wrong fails
 * only the items concerned.
 */
class CommandBatchIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration TIMEOUT = Duration.ofSeconds(20);

  /**
   * Says hello, then answers each item of a batch as its {@code do} says: {@code echo} (default),
   * {@code fail}, {@code garbage} (a line that is not JSON), {@code crash} (exits with 3, after
   * flushing the answers before), {@code skip} (no answer), {@code twice} (two answers), {@code
   * noseq} (an answer without seq), {@code sleep} ({@code seconds}). Echo answers carry n, the pid
   * and how many items the request had.
   */
  static final String BATCHER =
      """
      import json, os, sys, time

      print(json.dumps({"hello": {"batch": True}}), flush=True)
      for line in sys.stdin:
          request = json.loads(line)
          items = request.get("batch") or [dict(request, seq=None)]
          for item in items:
              data = item["input"]
              do = data.get("do", "echo")
              answer = {"seq": item["seq"], "ok": True,
                        "data": {"n": data.get("n"), "pid": os.getpid(), "size": len(items)}}
              if item["seq"] is None:
                  del answer["seq"]
              if do == "fail":
                  answer = {"seq": item["seq"], "ok": False, "error": "refused %s" % data["n"]}
              elif do == "garbage":
                  print("this is not json", flush=True)
                  continue
              elif do == "crash":
                  sys.stdout.flush()
                  os._exit(3)
              elif do == "skip":
                  continue
              elif do == "noseq":
                  del answer["seq"]
              elif do == "sleep":
                  sys.stdout.flush()
                  time.sleep(data["seconds"])
              print(json.dumps(answer))
              if do == "twice":
                  print(json.dumps(answer))
          sys.stdout.flush()
      """;

  @TempDir Path dir;
  private Path batcher;

  @BeforeAll
  static void python() {
    TestPrograms.requirePython();
  }

  @BeforeEach
  void program() {
    batcher = TestPrograms.write(dir, "batcher.py", BATCHER);
  }

  @Test
  void aProgramThatSaysHelloGetsItsChunkAsOneRequestUpToTheBatchSize() {
    List<Integer> sent = new CopyOnWriteArrayList<>();
    try (var work = work("sizes", TIMEOUT, 8)) {
      work.observeBatches(sent::add);
      work.start();

      List<ItemResult> results = work.process(items(20));

      assertThat(results)
          .extracting(r -> data(r).get("n").asInt())
          .containsExactlyElementsOf(IntStream.range(0, 20).boxed().toList());
      // why: the first item may go alone, if the hello has not been read before it is sent
      assertThat(sent.stream().mapToInt(Integer::intValue).sum()).isBetween(19, 20);
      assertThat(sent).allSatisfy(size -> assertThat(size).isLessThanOrEqualTo(8));
      assertThat(work.process(items(5)))
          .extracting(r -> data(r).get("size").asInt())
          .containsOnly(5);
    }
  }

  @Test
  void anItemErrorFailsThatItemAlone() {
    try (var work = work("item-error", TIMEOUT, 100)) {
      work.start();

      List<ItemResult> results = work.process(withDo(5, 2, "{\"n\": 2, \"do\": \"fail\"}"));

      assertThat(error(results.get(2))).isEqualTo("refused 2");
      assertThat(List.of(0, 1, 3, 4))
          .allSatisfy(i -> assertThat(data(results.get(i)).get("n").asInt()).isEqualTo(i));
      assertThat(pids(results, 0, 1, 3, 4)).hasSize(1);
    }
  }

  @Test
  void aCrashMidBatchFailsOnlyTheItemsItHadNotAnswered() {
    try (var work = work("crash", TIMEOUT, 100)) {
      work.start();
      work.process(items(1));

      List<ItemResult> results = work.process(withDo(6, 3, "{\"n\": 3, \"do\": \"crash\"}"));

      assertThat(List.of(0, 1, 2))
          .allSatisfy(i -> assertThat(data(results.get(i)).get("n").asInt()).isEqualTo(i));
      assertThat(List.of(3, 4, 5))
          .allSatisfy(
              i -> assertThat(error(results.get(i))).startsWith("worker 0 exited with code 3"));
      List<ItemResult> after = work.process(items(3));
      assertThat(pids(after, 0, 1, 2)).doesNotContainAnyElementsOf(pids(results, 0, 1, 2));
    }
  }

  @Test
  void aLineThatIsNotJsonFailsItsItemAndTheUnansweredRestTheAnsweredKeepTheirResults() {
    try (var log = new CapturedLog(CommandWorker.class);
        var work = work("garbage", TIMEOUT, 100)) {
      work.start();
      work.process(items(1));

      List<ItemResult> results = work.process(withDo(4, 1, "{\"n\": 1, \"do\": \"garbage\"}"));

      assertThat(data(results.get(0)).get("n").asInt()).isZero();
      assertThat(error(results.get(1))).startsWith("worker 0 answered \"this is not json\"");
      assertThat(error(results.get(2)))
          .startsWith("not answered: its worker broke the protocol on item ");
      assertThat(error(results.get(3))).startsWith("not answered: ");
      assertThat(log.events("worker_killed"))
          .singleElement()
          .satisfies(e -> assertThat(e.get("reason")).isEqualTo("protocol error"));
    }
  }

  @Test
  void aBatchAnsweredWithTooFewLinesFailsTheItemsWithoutAnAnswer() {
    try (var work = work("too-few", TIMEOUT, 100)) {
      work.start();
      work.process(items(1));

      List<ItemResult> results = work.process(withDo(4, 1, "{\"n\": 1, \"do\": \"skip\"}"));

      assertThat(error(results.get(1)))
          .matches("worker 0 gave no answer for seq \\d+ \\(its next answer was for seq \\d+\\)");
      assertThat(List.of(0, 2, 3))
          .allSatisfy(i -> assertThat(data(results.get(i)).get("n").asInt()).isEqualTo(i));
      assertThat(pids(results, 0, 2, 3)).hasSize(1);
    }
  }

  @Test
  void aBatchWhoseLastItemIsNotAnsweredFailsItAfterTheTimeout() {
    try (var work = work("last-missing", Duration.ofMillis(500), 100)) {
      work.start();
      work.process(items(1));

      List<ItemResult> results = work.process(withDo(3, 2, "{\"n\": 2, \"do\": \"skip\"}"));

      assertThat(data(results.get(1)).get("n").asInt()).isEqualTo(1);
      // why: a batch of 3 may take 3 x 500 ms
      assertThat(error(results.get(2))).isEqualTo("timeout after 500ms per item (a batch of 3)");
    }
  }

  @Test
  void aBatchAnsweredWithTooManyLinesDropsTheExtraAnswerAndKeepsInStep() {
    try (var log = new CapturedLog(CommandWorker.class);
        var work = work("too-many", TIMEOUT, 100)) {
      work.start();
      work.process(items(1));

      List<ItemResult> results = work.process(withDo(3, 2, "{\"n\": 2, \"do\": \"twice\"}"));
      List<ItemResult> next = work.process(items(3));

      assertThat(results).extracting(r -> data(r).get("n").asInt()).containsExactly(0, 1, 2);
      assertThat(next).extracting(r -> data(r).get("n").asInt()).containsExactly(0, 1, 2);
      assertThat(pids(next, 0, 1, 2)).isEqualTo(pids(results, 0, 1, 2));
      assertThat(log.events("worker_unsolicited_output")).isNotEmpty();
    }
  }

  @Test
  void anAnswerWithoutItsSeqInABatchIsAProtocolError() {
    try (var work = work("noseq", TIMEOUT, 100)) {
      work.start();
      work.process(items(1));

      List<ItemResult> results = work.process(withDo(3, 1, "{\"n\": 1, \"do\": \"noseq\"}"));

      assertThat(data(results.get(0)).get("n").asInt()).isZero();
      assertThat(error(results.get(1)))
          .isEqualTo("worker 0 answered an item of a batch without its \"seq\"");
      assertThat(error(results.get(2))).startsWith("not answered: ");
    }
  }

  @Test
  void aBatchMayTakeItsItemsTimesTheTimeout() {
    try (var work = work("slow-batch", Duration.ofMillis(1500), 100)) {
      work.start();
      work.process(items(1));

      // why: the answers come all at once after 2 s: within 3 x 1.5 s, though past 1.5 s
      List<ItemResult> results =
          work.process(withDo(3, 0, "{\"n\": 0, \"do\": \"sleep\", \"seconds\": 2}"));

      assertThat(results).extracting(r -> data(r).get("n").asInt()).containsExactly(0, 1, 2);
    }
  }

  @Test
  void aProgramOnTheStepLibraryAnswersBatchesAndItemErrors() throws IOException {
    Path library = Path.of("..", "deploy", "pipelines", "steps", "conveyor_step.py");
    Files.copy(library, dir.resolve("conveyor_step.py"));
    Path program =
        TestPrograms.write(
            dir,
            "lib_step.py",
            """
            import conveyor_step

            def handle(data, ctx):
                if data["n"] == 2:
                    raise conveyor_step.ItemError("two is refused")
                return {"n": data["n"], "worker": ctx.worker, "task": ctx.item.task_id}

            conveyor_step.run(handle)
            """);
    List<Integer> sent = new CopyOnWriteArrayList<>();
    try (var work =
        new CommandWork(
            "library",
            List.of("python3", program.toString()),
            dir,
            1,
            TIMEOUT,
            Map.of(),
            100,
            Tuning.DEFAULTS,
            Map.of())) {
      work.observeBatches(sent::add);
      work.start();

      List<ItemResult> results = work.process(items(5));

      assertThat(error(results.get(2))).isEqualTo("two is refused");
      assertThat(output(results.get(4))).isEqualTo("{\"n\":4,\"worker\":0,\"task\":\"t\"}");
      assertThat(sent).isNotEmpty();
    }
  }

  @Test
  void aStepOnTheStepLibraryReadsItsResourceAsAMappedFile() throws IOException {
    Files.copy(
        Path.of("..", "deploy", "pipelines", "steps", "conveyor_step.py"),
        dir.resolve("conveyor_step.py"));
    Path words = Files.writeString(dir.resolve("words.txt"), "conveyor\nredis\n");
    Path program =
        TestPrograms.write(
            dir,
            "known.py",
            """
            import conveyor_step

            def setup(ctx):
                return set(bytes(ctx.resource("words")).decode().split())

            def handle(data, ctx):
                return {"known": data["w"] in ctx.state, "size": len(ctx.resource("words"))}

            conveyor_step.run(handle, setup=setup)
            """);
    try (var work =
        new CommandWork(
            "resources",
            List.of("python3", program.toString()),
            dir,
            2,
            TIMEOUT,
            Map.of(),
            100,
            Tuning.DEFAULTS,
            Map.of("words", words))) {
      work.start();

      List<ItemResult> results =
          work.process(
              List.of(item("t", 0, "{\"w\": \"redis\"}"), item("t", 1, "{\"w\": \"kafka\"}")));

      assertThat(results)
          .extracting(TestPrograms::output)
          .containsExactly("{\"known\":true,\"size\":15}", "{\"known\":false,\"size\":15}");
    }
  }

  @Test
  void aStepWhoseResourceIsMissingDoesNotStart() {
    var work =
        new CommandWork(
            "no-resource",
            List.of("python3", batcher.toString()),
            dir,
            1,
            TIMEOUT,
            Map.of(),
            100,
            Tuning.DEFAULTS,
            Map.of("model", dir.resolve("model.bin")));
    org.assertj.core.api.Assertions.assertThatThrownBy(work::start)
        .isInstanceOf(CommandUnavailableException.class)
        .hasMessage(
            "resource 'model': cannot read " + dir.resolve("model.bin") + " (step no-resource)");
    work.close();
  }

  private CommandWork work(String step, Duration timeout, int batch) {
    return new CommandWork(
        step,
        List.of("python3", batcher.toString()),
        dir,
        1,
        timeout,
        Map.of(),
        batch,
        Tuning.DEFAULTS.withBackoff(Duration.ZERO, Duration.ZERO),
        Map.of());
  }

  private static List<WorkItem> items(int n) {
    return IntStream.range(0, n).mapToObj(i -> item("t", i, "{\"n\": " + i + "}")).toList();
  }

  private static List<WorkItem> withDo(int n, int at, String input) {
    List<WorkItem> items = new ArrayList<>(items(n));
    items.set(at, item("t", at, input));
    return items;
  }

  private static JsonNode data(ItemResult result) {
    try {
      return JSON.readTree(output(result));
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private static List<Long> pids(List<ItemResult> results, int... at) {
    return IntStream.of(at)
        .mapToObj(i -> data(results.get(i)).get("pid").asLong())
        .distinct()
        .toList();
  }
}
