package dev.conveyor.processor;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.conveyor.common.redis.HeldEntries;
import dev.conveyor.common.redis.StreamMessage;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.exceptions.JedisConnectionException;

class FinishingLaneTest {
  private final HeldEntries held = new HeldEntries();
  private final FinishingLane lane = new FinishingLane("echo.deliver.0", held);
  private final List<String> log = new CopyOnWriteArrayList<>();

  @Test
  void aBatchIsFinishedOnAnotherThreadWhileTheTickGoesOnAndLeavesTheHeldEntriesWhenDone()
      throws Exception {
    List<StreamMessage> first = entries("1-0", "1-1");
    held.readNew(first);
    CountDownLatch mayFinish = new CountDownLatch(1);
    AtomicReference<Thread> finisher = new AtomicReference<>();

    lane.handOver(
        first,
        () -> {
          finisher.set(Thread.currentThread());
          await(mayFinish);
          log.add("finished 1");
        },
        () -> log.add("again 1"));
    // why: the tick reads and works its next batch while the first one's finishing waits
    List<StreamMessage> second = entries("2-0");
    held.readNew(second);
    log.add("worked 2");
    assertThat(held.size()).as("nothing is released before its finishing is done").isEqualTo(3);
    mayFinish.countDown();
    lane.handOver(second, () -> log.add("finished 2"), () -> log.add("again 2"));
    lane.drain();

    assertThat(log).containsExactly("worked 2", "finished 1", "finished 2");
    assertThat(finisher.get()).isNotEqualTo(Thread.currentThread());
    assertThat(finisher.get().isVirtual()).isTrue();
    assertThat(held.isEmpty()).isTrue();
  }

  @Test
  void handingOverTheNextBatchWaitsForTheOneBefore() throws Exception {
    handOverASlowFirstBatch();
    List<StreamMessage> second = entries("2-0");
    held.readNew(second);

    lane.handOver(second, () -> log.add("finished 2"), () -> log.add("again 2"));
    log.add("handed over 2");
    assertThat(held.size()).as("the first batch's entries left once it finished").isEqualTo(1);
    lane.drain();

    assertThat(log).containsSubsequence("finished 1", "handed over 2");
    assertThat(log).containsSubsequence("finished 1", "finished 2");
    assertThat(held.isEmpty()).isTrue();
  }

  @Test
  void aFinishingThatAnOutageFailsFailsTheTickAndItsEntriesStayHeldToBeHandedBack() {
    List<StreamMessage> batch = entries("1-0", "1-1");
    held.readNew(batch);
    lane.handOver(
        batch,
        () -> {
          throw new JedisConnectionException("Unexpected end of stream");
        },
        () -> log.add("again"));

    assertThatThrownBy(lane::drain).isInstanceOf(JedisConnectionException.class);
    assertThat(log).as("an outage is not the items' fault: nothing is processed again").isEmpty();
    assertThat(held.size()).isEqualTo(2);
    lane.drain();
  }

  @Test
  void aFinishingThatFailsOnSomeItemsDataProcessesTheBatchAgainOnTheTicksThread() {
    List<StreamMessage> batch = entries("1-0", "1-1");
    held.readNew(batch);
    AtomicReference<Thread> again = new AtomicReference<>();
    lane.handOver(
        batch,
        () -> {
          throw new IllegalArgumentException("a meta no audit row can hold");
        },
        () -> again.set(Thread.currentThread()));

    lane.drain();

    assertThat(again.get()).isEqualTo(Thread.currentThread());
    assertThat(held.isEmpty()).isTrue();
  }

  @Test
  void aTickFailingAlreadyKeepsItsOwnFailureAndGetsTheFinishingsAsSuppressed() {
    List<StreamMessage> batch = entries("1-0");
    held.readNew(batch);
    lane.handOver(
        batch,
        () -> {
          throw new JedisConnectionException("Connection refused");
        },
        () -> log.add("again"));
    RuntimeException tick = new IllegalStateException("the tick's own failure");

    lane.drainAfter(tick);

    assertThat(tick.getSuppressed()).singleElement().isInstanceOf(JedisConnectionException.class);
    assertThat(held.size()).isEqualTo(1);
  }

  @Test
  void anInterruptedTickStillWaitsForTheFinishingAndKeepsItsInterrupt() throws Exception {
    List<StreamMessage> batch = entries("1-0");
    held.readNew(batch);
    lane.handOver(batch, () -> sleep(300), () -> log.add("again"));

    Thread.currentThread().interrupt();
    try {
      lane.drain();
      assertThat(Thread.currentThread().isInterrupted()).isTrue();
    } finally {
      Thread.interrupted();
    }
    assertThat(held.isEmpty()).as("released only once finished").isTrue();
    assertThat(log).isEmpty();
  }

  @Test
  void aBatchFinishedHereWaitsForTheOneBeforeThenFinishesOnTheCallingThread() throws Exception {
    handOverASlowFirstBatch();
    List<StreamMessage> second = entries("2-0", "2-1");
    held.readNew(second);
    AtomicReference<Thread> finisher = new AtomicReference<>();

    lane.finishHere(
        second,
        () -> {
          finisher.set(Thread.currentThread());
          log.add("finished 2");
        },
        () -> log.add("again 2"));
    log.add("returned");

    assertThat(log).containsExactly("finished 1", "finished 2", "returned");
    assertThat(finisher.get()).isEqualTo(Thread.currentThread());
    assertThat(held.isEmpty()).as("both batches left once finished").isTrue();
  }

  @Test
  void aBatchFinishedHereThatFailsOnItsDataIsProcessedAgainAndOneAnOutageFailsStaysHeld() {
    List<StreamMessage> batch = entries("1-0", "1-1");
    held.readNew(batch);
    lane.finishHere(
        batch,
        () -> {
          throw new IllegalArgumentException("a meta no audit row can hold");
        },
        () -> log.add("again 1"));
    assertThat(log).containsExactly("again 1");
    assertThat(held.isEmpty()).isTrue();

    List<StreamMessage> next = entries("2-0");
    held.readNew(next);
    assertThatThrownBy(() ->
            lane.finishHere(
                next,
                () -> {
                  throw new JedisConnectionException("Unexpected end of stream");
                },
                () -> log.add("again 2")))
        .isInstanceOf(JedisConnectionException.class);
    assertThat(log).containsExactly("again 1");
    assertThat(held.size()).as("held to be handed back").isEqualTo(1);
    lane.drain();
  }

  /** Hands over a batch "1-0" whose finishing takes 200 ms; returns once that started. */
  private void handOverASlowFirstBatch() throws InterruptedException {
    List<StreamMessage> first = entries("1-0");
    held.readNew(first);
    CountDownLatch started = new CountDownLatch(1);
    lane.handOver(
        first,
        () -> {
          started.countDown();
          sleep(200);
          log.add("finished 1");
        },
        () -> log.add("again 1"));
    started.await(5, TimeUnit.SECONDS);
  }

  private static List<StreamMessage> entries(String... ids) {
    return java.util.Arrays.stream(ids)
        .map(id -> new StreamMessage(id, Map.of("task", "t".getBytes(UTF_8))))
        .toList();
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
