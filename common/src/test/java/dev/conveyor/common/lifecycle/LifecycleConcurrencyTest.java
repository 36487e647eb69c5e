package dev.conveyor.common.lifecycle;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class LifecycleConcurrencyTest {

  @Test
  void manyThreadsRacingToStartOneReadySystemLetExactlyOneWin() throws Exception {
    AtomicInteger hookRuns = new AtomicInteger();
    Lifecycle system =
        new Lifecycle("processor") {
          @Override
          protected void onStart() {
            hookRuns.incrementAndGet();
            // why: widen the window in which an unguarded start would let a rival in
            for (int i = 0; i < 1_000; i++) {
              Thread.yield();
            }
          }
        };
    system.activate();
    CountDownLatch go = new CountDownLatch(1);
    List<Future<Boolean>> attempts = new ArrayList<>();

    try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < 64; i++) {
        attempts.add(
            threads.submit(() -> {
              go.await();
              try {
                system.start();
                return true;
              } catch (IllegalTransitionException refused) {
                return false;
              }
            }));
      }
      go.countDown();
    }

    long winners = 0;
    for (Future<Boolean> attempt : attempts) {
      if (attempt.get()) {
        winners++;
      }
    }
    assertThat(winners).isEqualTo(1);
    assertThat(system.state()).isEqualTo(State.RUNNING);
    assertThat(hookRuns).hasValue(1);
  }

  @Test
  void stateAndSnapshotAreReadableWhileASlowStartHoldsTheLock() throws Exception {
    CountDownLatch starting = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Lifecycle slow =
        new Lifecycle("slow") {
          @Override
          protected void onStart() throws InterruptedException {
            starting.countDown();
            release.await();
          }
        };
    slow.activate();

    try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
      Future<?> start = threads.submit(slow::start);
      assertThat(starting.await(5, SECONDS)).isTrue();

      assertTimeoutPreemptively(
          Duration.ofSeconds(5),
          () -> {
            assertThat(slow.state()).isEqualTo(State.READY);
            assertThat(slow.snapshot().state()).isEqualTo(State.READY);
            assertThat(slow.reason()).isEmpty();
          });

      release.countDown();
      start.get(5, SECONDS);
    }
    assertThat(slow.state()).isEqualTo(State.RUNNING);
  }
}
