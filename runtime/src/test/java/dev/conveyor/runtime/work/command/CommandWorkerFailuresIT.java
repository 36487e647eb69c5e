package dev.conveyor.runtime.work.command;

import static dev.conveyor.runtime.work.command.TestPrograms.error;
import static dev.conveyor.runtime.work.command.TestPrograms.item;
import static dev.conveyor.runtime.work.command.TestPrograms.output;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.common.test.CapturedLog;
import dev.conveyor.runtime.work.ItemResult;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How a command step's workers fail, and come back. */
class CommandWorkerFailuresIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  private Path behave;

  @BeforeAll
  static void python() {
    TestPrograms.requirePython();
  }

  @BeforeEach
  void program() {
    behave = TestPrograms.write(dir, "behave.py", TestPrograms.BEHAVE);
  }

  @Test
  void aLineThatIsNotAProtocolLineFailsItsItemAndTheWorkerIsRestarted() {
    try (var log = new CapturedLog(CommandWorker.class);
        var work = work("garbage", Duration.ofSeconds(20), Tuning.DEFAULTS)) {
      work.start();

      List<ItemResult> results =
          work.process(
              List.of(
                  item("t", 1, "{\"n\": 1}"),
                  item("t", 2, "{\"n\": 2, \"do\": \"garbage\"}"),
                  item("t", 3, "{\"n\": 3}")));

      long firstPid = pid(results.get(0));
      assertThat(error(results.get(1)))
          .isEqualTo(
              "worker 0 answered \"this is not json\" which is not a protocol line (one JSON"
                  + " object with a boolean \"ok\" per request; logs belong on stderr)");
      assertThat(pid(results.get(2))).isNotEqualTo(firstPid);
      assertThat(ProcessHandle.of(firstPid).filter(ProcessHandle::isAlive)).isEmpty();
      assertThat(log.events("worker_killed"))
          .singleElement()
          .satisfies(e -> {
            assertThat(e.get("level")).isEqualTo("WARN");
            assertThat(e.get("reason")).isEqualTo("protocol error");
            assertThat(e.get("restart_in")).isEqualTo(Duration.ofMillis(100));
          });
      assertThat(log.events("worker_restarted")).hasSize(1);
    }
  }

  @Test
  void aLineThatIsNotUtf8FailsItsItemAndTheWorkerGoesOn() {
    try (var work = work("bytes", Duration.ofSeconds(20), Tuning.DEFAULTS)) {
      work.start();

      List<ItemResult> results =
          work.process(
              List.of(
                  item("t", 1, "{\"n\": 1}"),
                  item("t", 2, "{\"n\": 2, \"do\": \"bytes\"}"),
                  item("t", 3, "{\"n\": 3}")));

      assertThat(error(results.get(1))).isEqualTo("worker 0 answered a line that is not UTF-8");
      assertThat(pid(results.get(2))).isEqualTo(pid(results.get(0)));
    }
  }

  @Test
  void anItemPastTheTimeoutFailsAndTheRestOfItsChunkRunsOnARestartedWorker() {
    try (var log = new CapturedLog(CommandWorker.class);
        var work = work("slow", Duration.ofMillis(300), Tuning.DEFAULTS)) {
      work.start();
      long started = System.nanoTime();

      List<ItemResult> results =
          work.process(
              List.of(
                  item("t", 1, "{\"n\": 1}"),
                  item("t", 2, "{\"n\": 2, \"do\": \"sleep\", \"seconds\": 30}"),
                  item("t", 3, "{\"n\": 3}"),
                  item("t", 4, "{\"n\": 4}")));

      assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
      long firstPid = pid(results.get(0));
      assertThat(error(results.get(1))).isEqualTo("timeout after 300ms");
      long secondPid = pid(results.get(2));
      assertThat(secondPid).isNotEqualTo(firstPid);
      assertThat(pid(results.get(3))).isEqualTo(secondPid);
      assertThat(ProcessHandle.of(firstPid).filter(ProcessHandle::isAlive)).isEmpty();
      assertThat(log.events("worker_killed"))
          .singleElement()
          .satisfies(e -> assertThat(e.get("reason")).isEqualTo("timeout after 300ms"));
    }
  }

  @Test
  void theFirstItemOfANewWorkerMayAlsoTakeTheTimeTheProgramNeedsToStart() {
    Path slowStart =
        TestPrograms.write(
            dir,
            "slow_start.py",
            """
            import json, sys, time
            time.sleep(1.5)  # loading a model
            for line in sys.stdin:
                n = json.loads(line)["input"]["n"]
                if n == 3:
                    sys.exit(1)
                print(json.dumps({"ok": True, "data": n}), flush=True)
            """);
    try (var work =
        new CommandWork(
            "slow-start",
            List.of("python3", slowStart.toString()),
            dir,
            1,
            Duration.ofMillis(500),
            Map.of())) {
      work.start();

      List<ItemResult> results =
          work.process(
              List.of(
                  item("t", 1, "{\"n\": 1}"),
                  item("t", 2, "{\"n\": 2}"),
                  item("t", 3, "{\"n\": 3}"),
                  item("t", 4, "{\"n\": 4}")));

      assertThat(output(results.get(0))).isEqualTo("1");
      assertThat(output(results.get(1))).isEqualTo("2");
      assertThat(error(results.get(2))).startsWith("worker 0 exited with code 1");
      assertThat(output(results.get(3))).isEqualTo("4");
    }
  }

  @Test
  void aWorkerThatExitsFailsItsItemWithTheExitCodeAndIsRestartedWithGrowingBackoff() {
    try (var log = new CapturedLog(CommandWorker.class);
        var work = work("exits", Duration.ofSeconds(20), Tuning.DEFAULTS)) {
      work.start();

      List<ItemResult> results =
          work.process(
              List.of(
                  item("t", 1, "{\"n\": 1, \"do\": \"exit\", \"code\": 3}"),
                  item("t", 2, "{\"n\": 2, \"do\": \"exit\", \"code\": 4}"),
                  item("t", 3, "{\"n\": 3, \"do\": \"exit\", \"code\": 5}"),
                  item("t", 4, "{\"n\": 4}"),
                  item("t", 5, "{\"n\": 5, \"do\": \"exit\", \"code\": 6}"),
                  item("t", 6, "{\"n\": 6}")));

      assertThat(error(results.get(0))).startsWith("worker 0 exited with code 3");
      assertThat(error(results.get(1))).startsWith("worker 0 exited with code 4");
      assertThat(error(results.get(2))).startsWith("worker 0 exited with code 5");
      assertThat(output(results.get(3))).contains("\"n\":4");
      assertThat(error(results.get(4))).startsWith("worker 0 exited with code 6");
      assertThat(output(results.get(5))).contains("\"n\":6");
      assertThat(log.events("worker_exited"))
          .allSatisfy(e -> {
            assertThat(e.get("level")).isEqualTo("WARN");
            assertThat(e.get("step")).isEqualTo("exits");
            assertThat(e.get("worker")).isEqualTo(0);
          })
          .extracting(e -> e.get("exit_code"), e -> e.get("restart_in"))
          .containsExactly(
              tuple(3, Duration.ofMillis(100)),
              tuple(4, Duration.ofMillis(200)),
              tuple(5, Duration.ofMillis(400)),
              tuple(6, Duration.ofMillis(100)));
      assertThat(work.pids()).hasSize(5).doesNotHaveDuplicates();
    }
  }

  @Test
  void aCrashNamesTheLastStderrLineInTheItemsError() {
    try (var work = work("crash", Duration.ofSeconds(20), Tuning.DEFAULTS)) {
      work.start();

      List<ItemResult> results =
          work.process(List.of(item("t", 1, "{\"do\": \"crash\"}"), item("t", 2, "{\"n\": 2}")));

      assertThat(error(results.get(0)))
          .isEqualTo(
              "worker 0 exited with code 1; last stderr line: ZeroDivisionError: division by zero");
      assertThat(output(results.get(1))).contains("\"n\":2");
    }
  }

  @Test
  void aWorkerThatDiedBetweenBatchesIsRestartedWithoutFailingAnItem() {
    try (var log = new CapturedLog(CommandWorker.class);
        var work = work("idle-death", Duration.ofSeconds(20), Tuning.DEFAULTS)) {
      work.start();
      long pid = work.pids().getFirst();
      ProcessHandle.of(pid).orElseThrow().destroyForcibly();
      await()
          .atMost(5, TimeUnit.SECONDS)
          .until(() -> ProcessHandle.of(pid).filter(ProcessHandle::isAlive).isEmpty());

      List<ItemResult> results = work.process(List.of(item("t", 1, "{\"n\": 1}")));

      assertThat(pid(results.getFirst())).isNotEqualTo(pid);
      assertThat(log.events("worker_exited"))
          .singleElement()
          .satisfies(e -> assertThat(e.get("exit_code")).isEqualTo(137));
    }
  }

  @Test
  void whenEveryWorkerIsFarFromItsRestartItemsFailAtOnceAndTheNextBatchIsNotAttempted() {
    Tuning slowRestart = Tuning.DEFAULTS.withBackoff(Duration.ofSeconds(30), Duration.ofMinutes(1));
    try (var work = work("down", Duration.ofSeconds(20), slowRestart)) {
      work.start();

      List<ItemResult> results =
          work.process(
              List.of(item("t", 1, "{\"do\": \"exit\", \"code\": 9}"), item("t", 2, "{\"n\": 2}")));

      assertThat(error(results.get(0))).startsWith("worker 0 exited with code 9");
      assertThat(error(results.get(1)))
          .startsWith("worker 0 is down (exited with code 9); restarting in ");
      assertThatThrownBy(() -> work.process(List.of(item("t", 2, "{\"n\": 2}"))))
          .isInstanceOf(CommandUnavailableException.class)
          .hasMessageStartingWith(
              "step down: all 1 workers are down (worker 0 exited with code 9); next restart in ");
    }
  }

  @Test
  void linesWrittenBeforeAnyRequestAreLoggedAndAnswerNothing() {
    Path chatty =
        TestPrograms.write(
            dir,
            "chatty.py",
            """
            import json, sys
            print("loading model...", flush=True)
            print("chatty ready", file=sys.stderr, flush=True)
            for line in sys.stdin:
                n = json.loads(line)["input"]["n"]
                print(json.dumps({"ok": True, "data": n}), flush=True)
            """);
    try (var log = new CapturedLog(CommandWorker.class);
        var work =
            new CommandWork(
                "chatty",
                List.of("python3", chatty.toString()),
                dir,
                1,
                Duration.ofSeconds(20),
                Map.of())) {
      work.start();
      await().atMost(5, TimeUnit.SECONDS).until(() -> !log.events("worker_stderr").isEmpty());

      List<ItemResult> results =
          work.process(List.of(item("t", 1, "{\"n\": 1}"), item("t", 2, "{\"n\": 2}")));

      assertThat(results).extracting(TestPrograms::output).containsExactly("1", "2");
      assertThat(log.events("worker_unsolicited_output"))
          .singleElement()
          .satisfies(e -> assertThat(e.get("line")).isEqualTo("loading model..."));
    }
  }

  private CommandWork work(String step, Duration timeout, Tuning tuning) {
    return new CommandWork(
        step, List.of("python3", behave.toString()), dir, 1, timeout, Map.of(), tuning);
  }

  private static long pid(ItemResult result) {
    try {
      JsonNode data = JSON.readTree(output(result));
      return data.get("pid").asLong();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }
}
