package dev.conveyor.runtime.work.command;

import static dev.conveyor.runtime.work.command.TestPrograms.item;
import static dev.conveyor.runtime.work.command.TestPrograms.output;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.common.test.CapturedLog;
import dev.conveyor.runtime.work.ItemResult;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Starting and closing a command step: what is missing is named, and nothing is left behind. */
class CommandWorkLifecycleIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration TIMEOUT = Duration.ofSeconds(20);
  // why: the wait ends as soon as a worker exits, so a long grace costs a failing start nothing
  private static final Tuning PATIENT = Tuning.DEFAULTS.withStartGrace(Duration.ofSeconds(20));
  private static final Tuning QUICK_CLOSE = Tuning.DEFAULTS.withCloseWait(Duration.ofMillis(300));

  @TempDir Path dir;

  @BeforeAll
  static void python() {
    TestPrograms.requirePython();
  }

  @Test
  void aMissingExecutableMakesStartThrowWithItsName() {
    var work =
        new CommandWork("typo", List.of("pyhton3", "steps/person.py"), dir, 2, TIMEOUT, Map.of());

    assertThatThrownBy(work::start)
        .isInstanceOf(CommandUnavailableException.class)
        .hasMessage("command not found: pyhton3 (step typo)");
    assertThat(work.pids()).isEmpty();
    work.close();
  }

  @Test
  void aScriptWithoutExecutePermissionIsNamed() {
    Path script = TestPrograms.write(dir, "steps/run.sh", "#!/bin/sh\nexec cat\n");
    var work = new CommandWork("noexec", List.of("steps/run.sh"), dir, 1, TIMEOUT, Map.of());

    assertThatThrownBy(work::start)
        .isInstanceOf(CommandUnavailableException.class)
        .hasMessage("command not executable: " + script + " (step noexec)");
  }

  @Test
  void aMissingWorkingDirectoryIsNamed() {
    Path gone = dir.resolve("gone");
    var work = new CommandWork("nodir", List.of("python3", "x.py"), gone, 1, TIMEOUT, Map.of());

    assertThatThrownBy(work::start)
        .isInstanceOf(CommandUnavailableException.class)
        .hasMessage("working directory missing: " + gone + " (step nodir)");
  }

  @Test
  void aSyntaxErrorSurfacesAtStartWithTheLastStderrLineAndLeavesNoProcess() {
    TestPrograms.write(dir, "steps/broken.py", "import sys\ndef broken(:\n    pass\n");
    var work =
        new CommandWork(
            "syntax", List.of("python3", "steps/broken.py"), dir, 2, TIMEOUT, Map.of(), PATIENT);

    assertThatThrownBy(work::start)
        .isInstanceOf(CommandUnavailableException.class)
        .hasMessageStartingWith("command exited on start with code 1 (step syntax): SyntaxError");
    assertThat(work.pids()).hasSize(2).allSatisfy(CommandWorkLifecycleIT::assertGone);
    assertThat(TestPrograms.threadsOf("syntax")).isEmpty();
  }

  @Test
  void aMissingScriptSurfacesAtStart() {
    var work =
        new CommandWork(
            "noscript", List.of("python3", "steps/nope.py"), dir, 1, TIMEOUT, Map.of(), PATIENT);

    assertThatThrownBy(work::start)
        .isInstanceOf(CommandUnavailableException.class)
        .hasMessageStartingWith("command exited on start with code 2 (step noscript): ")
        .hasMessageContaining("steps/nope.py");
  }

  @Test
  void closeLeavesNoProcessNoDescendantAndNoThreadAndMayBeRepeated() throws IOException {
    Path behave = TestPrograms.write(dir, "behave.py", TestPrograms.BEHAVE);
    var work =
        new CommandWork(
            "closing", List.of("python3", behave.toString()), dir, 2, TIMEOUT, Map.of());
    work.start();
    List<ItemResult> results =
        work.process(
            List.of(item("t", 0, "{\"do\": \"spawn\"}"), item("t", 1, "{\"do\": \"spawn\"}")));
    List<Long> seen = new ArrayList<>(work.pids());
    for (ItemResult r : results) {
      seen.add(JSON.readTree(output(r)).get("child").asLong());
    }
    assertThat(seen).hasSize(4).allSatisfy(pid -> assertThat(alive(pid)).isTrue());
    assertThat(TestPrograms.threadsOf("closing")).hasSize(6);

    work.close();
    work.close();

    assertThat(seen).allSatisfy(CommandWorkLifecycleIT::assertGone);
    assertThat(TestPrograms.threadsOf("closing")).isEmpty();
    assertThatThrownBy(() -> work.process(List.of(item("t", 2, "{}"))))
        .isInstanceOf(CommandUnavailableException.class)
        .hasMessage("step closing is closed");
  }

  @Test
  void closeKillsAWorkerThatDoesNotExitWhenItsStdinCloses() {
    Path stubborn =
        TestPrograms.write(
            dir,
            "stubborn.py",
            """
            import signal, sys, time
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            for line in sys.stdin:
                pass
            time.sleep(120)
            """);
    var work =
        new CommandWork(
            "stubborn",
            List.of("python3", stubborn.toString()),
            dir,
            1,
            TIMEOUT,
            Map.of(),
            QUICK_CLOSE);
    work.start();
    long started = System.nanoTime();

    work.close();

    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(3));
    assertThat(work.pids()).allSatisfy(CommandWorkLifecycleIT::assertGone);
    assertThat(TestPrograms.threadsOf("stubborn")).isEmpty();
  }

  @Test
  void closingDuringABatchHandsTheBatchBack() throws Exception {
    Path behave = TestPrograms.write(dir, "behave.py", TestPrograms.BEHAVE);
    try (var log = new CapturedLog(CommandWorker.class)) {
      var work =
          new CommandWork(
              "handback",
              List.of("python3", behave.toString()),
              dir,
              1,
              TIMEOUT,
              Map.of(),
              QUICK_CLOSE);
      work.start();
      CompletableFuture<List<ItemResult>> batch =
          CompletableFuture.supplyAsync(() ->
              work.process(
                  List.of(
                      item("t", 0, "{\"n\": 0, \"do\": \"sleep\", \"seconds\": 60}"),
                      item("t", 1, "{\"n\": 1}"))));
      await()
          .atMost(10, TimeUnit.SECONDS)
          .until(() ->
              log.events("worker_stderr").stream()
                  .anyMatch(e -> "sleeping 0".equals(e.get("line"))));

      work.close();

      assertThatThrownBy(() -> batch.get(10, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .cause()
          .isInstanceOf(CommandUnavailableException.class)
          .hasMessage("step handback is closed");
      assertThat(work.pids()).allSatisfy(CommandWorkLifecycleIT::assertGone);
      assertThat(log.events("worker_exited")).isEmpty();
    }
  }

  @Test
  void processBeforeStartIsRefused() {
    var work = new CommandWork("unstarted", List.of("python3"), dir, 1, TIMEOUT, Map.of());

    assertThatThrownBy(() -> work.process(List.of(item("t", 0, "{}"))))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("step unstarted is not started");
    work.close();
  }

  private static boolean alive(long pid) {
    return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
  }

  private static void assertGone(long pid) {
    await()
        .atMost(5, TimeUnit.SECONDS)
        .untilAsserted(() -> assertThat(alive(pid)).as("process %d is alive", pid).isFalse());
  }
}
