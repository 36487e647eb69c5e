package dev.conveyor.processor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ShareLimitedThreadPoolTest {
  private final AtomicInteger limit = new AtomicInteger(2);
  private final ShareLimitedThreadPool pool = new ShareLimitedThreadPool();

  ShareLimitedThreadPoolTest() {
    ShareLimitedThreadPool.register("pool-test", limit::get);
    pool.setThreadCount(5);
    pool.setThreadNamePrefix("pool-test-worker");
    pool.setInstanceId("pool-test");
    pool.initialize();
  }

  @AfterEach
  void shutdown() {
    pool.shutdown(true);
    ShareLimitedThreadPool.unregister("pool-test");
  }

  @Test
  void offersNoMoreThreadsThanTheShareAndWaitsWhileTheShareIsTaken() throws Exception {
    assertThat(pool.blockForAvailableThreads()).isEqualTo(2);
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch started = new CountDownLatch(2);
    for (int i = 0; i < 2; i++) {
      assertThat(
              pool.runInThread(() -> {
                started.countDown();
                await(release);
              }))
          .isTrue();
    }
    assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();

    CompletableFuture<Integer> offered = offerInBackground();
    Thread.sleep(1_000);
    assertThat(offered).as("blocked while the share is taken").isNotDone();
    release.countDown();
    assertThat(offered.get(5, TimeUnit.SECONDS)).isBetween(1, 2);
  }

  @Test
  void aRaisedShareIsOfferedWithoutATickEnding() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    pool.runInThread(() -> await(release));
    pool.runInThread(() -> await(release));
    CompletableFuture<Integer> offered = offerInBackground();
    limit.set(4);
    assertThat(offered.get(3, TimeUnit.SECONDS)).isEqualTo(2);
    release.countDown();
  }

  @Test
  void neverMoreThanItsThreadsWhateverTheShare() {
    limit.set(100);
    assertThat(pool.blockForAvailableThreads()).isEqualTo(5);
    assertThat(pool.getPoolSize()).isEqualTo(5);
  }

  @Test
  void aTickHandedOverDuringShutdownStillRuns() throws Exception {
    pool.shutdown(false);
    assertThat(pool.blockForAvailableThreads()).isZero();
    CountDownLatch ran = new CountDownLatch(1);
    assertThat(pool.runInThread(ran::countDown)).isTrue();
    assertThat(ran.await(5, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void shareIsTheCeilingOfChainsPerProcessorAndAtLeastOne() {
    assertThat(ChainShare.share(10, 3)).isEqualTo(4);
    assertThat(ChainShare.share(10, 1)).isEqualTo(10);
    assertThat(ChainShare.share(9, 3)).isEqualTo(3);
    assertThat(ChainShare.share(0, 3)).isEqualTo(1);
    assertThat(ChainShare.share(5, 0)).isEqualTo(5);
  }

  /** What {@code blockForAvailableThreads()} returns, asked on a thread of its own. */
  private CompletableFuture<Integer> offerInBackground() {
    return CompletableFuture.supplyAsync(
        pool::blockForAvailableThreads, r -> Thread.ofPlatform().start(r));
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
