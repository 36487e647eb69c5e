package dev.conveyor.runtime.work;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.conveyor.runtime.ledger.QueueItem;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.PipelineLoader;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What a {@code java} step's outputs say about themselves (whose content is checked already), and
 * the instance of a call its caller stopped waiting for.
 */
class JavaStepWorkTest {
  private static final Pipeline PIPELINE =
      PipelineLoader.parse(
          """
          pipeline: same
          version: 1
          steps:
            - {name: same, kind: java, class: dev.conveyor.runtime.step.builtin.Identity}
          """,
          "same.yaml");

  private final JavaStepWork work =
      new JavaStepWork(PIPELINE, PIPELINE.step("same").orElseThrow(), Map.of());

  @AfterEach
  void close() {
    work.close();
  }

  @Test
  void anOutputOfStringsIntegersAndBooleansIsMarkedStorableAndTheRestIsLeftToTheTextCheck() {
    work.start();
    List<ItemResult> results =
        work.process(
            List.of(
                item(
                    0, "{\"text\":\"a \\ud83d\\ude00\",\"n\":[1,-2,9007199254740993],\"ok\":true}"),
                item(1, "{\"f\":1.50}"),
                item(2, "{\"text\":\"x\\u0000\"}"),
                item(3, "[\"\\ud800\"]"),
                item(4, "123456789012345678901234567890")));

    assertThat(results)
        .extracting(r -> ((ItemResult.Output) r).storable())
        .containsExactly(true, false, false, false, false);
    assertThat(((ItemResult.Output) results.getFirst()).value())
        .isEqualTo("{\"text\":\"a \ud83d\ude00\",\"n\":[1,-2,9007199254740993],\"ok\":true}");
  }

  @Test
  void aCallerInterruptedWhileItsOneChunkRunsLeavesTheInstanceToComeBackWhenTheCallEnds()
      throws Exception {
    Pipeline sleepy =
        PipelineLoader.parse(
            """
            pipeline: sleepy
            version: 1
            steps:
              - {name: nap, kind: java, class: dev.conveyor.runtime.work.SleepyStep, workers: 1}
            """,
            "sleepy.yaml");
    JavaStepWork naps = new JavaStepWork(sleepy, sleepy.step("nap").orElseThrow(), Map.of());
    ExecutorService caller = Executors.newSingleThreadExecutor();
    try {
      naps.start();
      // why: one chunk runs on the caller's thread; its step call on one of its own, for the
      // timeout. The caller is interrupted while it waits for the call
      Thread self = Thread.currentThread();
      Future<?> interrupting =
          caller.submit(() -> {
            Thread.sleep(100);
            self.interrupt();
            return null;
          });
      try {
        assertThatThrownBy(() -> naps.process(List.of(item(0, "{\"n\":0}"))))
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("interrupted");
        assertThat(Thread.currentThread().isInterrupted()).isTrue();
      } finally {
        interrupting.get();
        Thread.interrupted();
      }

      // why: the one instance is back once the interrupted call ended; without that, this call
      // waits for it for ever and the 10 s below fail the test
      Future<List<ItemResult>> next =
          caller.submit(() -> naps.process(List.of(item(1, "{\"n\":1}"))));
      assertThat(next.get(10, TimeUnit.SECONDS))
          .singleElement()
          .isInstanceOf(ItemResult.Output.class);
    } finally {
      caller.shutdownNow();
      naps.close();
    }
  }

  private static WorkItem item(int part, String input) {
    return new WorkItem(QueueItem.unqueued("t-1", part), input);
  }
}
