package dev.conveyor.runtime.work.command;

import static dev.conveyor.runtime.work.command.TestPrograms.item;
import static dev.conveyor.runtime.work.command.TestPrograms.output;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.common.test.CapturedLog;
import dev.conveyor.runtime.pipeline.StepDef;
import dev.conveyor.runtime.work.ItemResult;
import dev.conveyor.runtime.work.WorkItem;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** New code without a restart: workers replaced between batches when their files change. */
class CommandWorkReloadIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration TIMEOUT = Duration.ofSeconds(20);

  /**
   * Answers {@code {"v": V, "n": n, "pid": ..., "text": <the mapped resource "data">}}; an item
   * with {@code sleep} first creates the file {@code started} in its directory, then sleeps.
   */
  private static final String PROGRAM =
      """
      import json, mmap, os, sys, time
      V = %s
      res = json.loads(os.environ.get("CONVEYOR_RESOURCES", "{}"))
      text = None
      if "data" in res:
          with open(res["data"]["path"], "rb") as f:
              text = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)[:].decode()
      for line in sys.stdin:
          item = json.loads(line)["input"]
          if item.get("sleep"):
              open("started", "w").close()
              time.sleep(item["sleep"])
          data = {"v": V, "n": item.get("n"), "pid": os.getpid(), "text": text}
          print(json.dumps({"ok": True, "data": data}), flush=True)
      """;

  @TempDir Path dir;

  @BeforeAll
  static void python() {
    TestPrograms.requirePython();
  }

  @Test
  void aChangedProgramAnswersTheNextItemsWhileTheBatchInFlightFinishesOnTheOldOne()
      throws Exception {
    program("1");
    try (var log = new CapturedLog(CommandWork.class);
        var work = work(Map.of())) {
      work.start();
      List<Long> oldPids = work.pids();
      CompletableFuture<List<ItemResult>> inFlight =
          CompletableFuture.supplyAsync(
              () -> work.process(List.of(item("t", 0, "{\"n\": 0, \"sleep\": 1}"))));
      await().atMost(10, SECONDS).until(() -> Files.exists(dir.resolve("started")));

      program("2");
      assertThat(work.reloadIfChanged()).isTrue();
      List<ItemResult> next =
          work.process(List.of(item("t", 1, "{\"n\": 1}"), item("t", 2, "{\"n\": 2}")));

      assertThat(next).map(r -> answer(r).get("v").asInt()).containsExactly(2, 2);
      assertThat(inFlight.get(10, SECONDS))
          .singleElement()
          .satisfies(r -> assertThat(answer(r).get("v").asInt()).isEqualTo(1));
      assertThat(work.reloadIfChanged()).as("nothing changed since").isFalse();
      assertThat(log.events("step_reloaded"))
          .singleElement()
          .satisfies(e ->
              assertThat(e)
                  .containsEntry("pipeline", "flow")
                  .containsEntry("step", "v")
                  .containsEntry("reason", "program_changed")
                  .containsEntry("workers", 2)
                  .containsEntry("level", "INFO"));
      await()
          .atMost(10, SECONDS)
          .until(() ->
              oldPids.stream()
                  .noneMatch(
                      pid -> ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)));
    }
  }

  @Test
  void aBrokenNewProgramKeepsTheOldWorkersAnsweringAndWarnsOnceUntilTheNextChange()
      throws Exception {
    program("1");
    try (var log = new CapturedLog(CommandWork.class);
        // why: a loaded machine may take seconds to start Python even for a syntax error
        var work = work(Map.of(), Duration.ofSeconds(3))) {
      work.start();

      replace(dir.resolve("steps/v.py"), "import sys\ndef broken(:\n    pass\n");
      assertThat(work.reloadIfChanged()).isFalse();
      assertThat(work.reloadIfChanged()).as("the same broken file is not tried again").isFalse();

      assertThat(
              answer(work.process(List.of(item("t", 0, "{\"n\": 0}"))).getFirst()).get("v").asInt())
          .isEqualTo(1);
      assertThat(log.events("step_reload_failed"))
          .singleElement()
          .satisfies(e ->
              assertThat(e)
                  .containsEntry("level", "WARN")
                  .containsEntry("reason", "program_changed")
                  .extractingByKey("error")
                  .asString()
                  .contains("command exited on start with code 1")
                  .contains("SyntaxError"));
      assertThat(log.events("step_reloaded")).isEmpty();

      program("3");
      assertThat(work.reloadIfChanged()).as("the fix is the next change").isTrue();
      assertThat(
              answer(work.process(List.of(item("t", 1, "{\"n\": 1}"))).getFirst()).get("v").asInt())
          .isEqualTo(3);
    }
  }

  @Test
  void aResourceReplacedByRenameIsMappedByTheNewWorkers() throws Exception {
    program("1");
    Path data = TestPrograms.write(dir, "data/words.txt", "one");
    try (var log = new CapturedLog(CommandWork.class);
        var work = work(Map.of("data", data))) {
      work.start();
      assertThat(answer(work.process(List.of(item("t", 0, "{}"))).getFirst()).get("text").asText())
          .isEqualTo("one");

      replace(data, "two, longer");
      assertThat(work.reloadIfChanged()).isTrue();

      assertThat(answer(work.process(List.of(item("t", 1, "{}"))).getFirst()).get("text").asText())
          .isEqualTo("two, longer");
      assertThat(log.events("step_reloaded"))
          .singleElement()
          .satisfies(e -> assertThat(e).containsEntry("reason", "resource_changed"));
    }
  }

  @Test
  void aRequestedReloadReplacesTheWorkersAndATouchAloneDoesNot() throws Exception {
    Path program = program("1");
    try (var work = work(Map.of())) {
      work.start();
      List<Long> before = work.pids();

      Files.setLastModifiedTime(program, FileTime.fromMillis(System.currentTimeMillis() + 60_000));
      assertThat(work.reloadIfChanged()).as("same content, new mtime").isFalse();
      assertThat(work.reload("requested")).isTrue();

      assertThat(work.pids()).hasSize(2).doesNotContainAnyElementsOf(before);
    }
  }

  @Test
  void noItemFailsWhileBatchesKeepComingThroughReloads() throws Exception {
    program("1");
    try (var work = work(Map.of())) {
      work.start();
      var stop = new AtomicBoolean();
      CompletableFuture<List<ItemResult>> load =
          CompletableFuture.supplyAsync(() -> {
            List<ItemResult> all = new ArrayList<>();
            for (int b = 0; !stop.get() || b < 3; b++) {
              List<WorkItem> batch = new ArrayList<>();
              for (int i = 0; i < 4; i++) {
                batch.add(item("load", b * 4 + i, "{\"n\": " + (b * 4 + i) + "}"));
              }
              all.addAll(work.process(batch));
            }
            return all;
          });

      for (int r = 0; r < 3; r++) {
        assertThat(work.reload("requested")).isTrue();
      }
      stop.set(true);

      List<ItemResult> all = load.get(30, SECONDS);
      assertThat(all).allSatisfy(r -> assertThat(r).isInstanceOf(ItemResult.Output.class));
      assertThat(all)
          .map(r -> answer(r).get("n").asInt())
          .containsExactlyElementsOf(IntStream.range(0, all.size()).boxed().toList());
    }
  }

  private CommandWork work(Map<String, Path> resources) {
    return work(resources, Tuning.DEFAULTS.startGrace());
  }

  private CommandWork work(Map<String, Path> resources, Duration grace) {
    return new CommandWork(
        "flow.v",
        List.of("python3", "steps/v.py"),
        dir,
        2,
        TIMEOUT,
        Map.of(),
        StepDef.DEFAULT_BATCH,
        Tuning.DEFAULTS.withCloseWait(Duration.ofSeconds(2)).withStartGrace(grace),
        resources);
  }

  private Path program(String version) {
    Path file = dir.resolve("steps/v.py");
    if (!Files.exists(file)) {
      return TestPrograms.write(dir, "steps/v.py", PROGRAM.formatted(version));
    }
    replace(file, PROGRAM.formatted(version));
    return file;
  }

  /** As a deploy should: a new file renamed over the old one. */
  private static void replace(Path file, String text) {
    try {
      Path next = file.resolveSibling(file.getFileName() + ".next");
      Files.writeString(next, text);
      Files.move(next, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static JsonNode answer(ItemResult result) {
    try {
      return JSON.readTree(output(result));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
