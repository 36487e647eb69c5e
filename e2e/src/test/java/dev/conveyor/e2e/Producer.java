package dev.conveyor.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.cli.embedded.EmbeddedRun;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.Response;
import redis.clients.jedis.StreamEntryID;

/**
 * A producer of {@code ner} documents for a run's inbox: pipelined XADDs, retried every half second
 * while Redis is away (the ids make a repeat harmless), and a background thread at a steady pace.
 */
final class Producer implements AutoCloseable {
  private static final Duration RETRY = Duration.ofMillis(500);

  private final RedisServer redis;
  private final int attempts;
  private final AtomicInteger published = new AtomicInteger();
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private volatile boolean producing;
  private Thread thread;

  /**
   * @param attempts how often a batch is tried before the producer gives up
   */
  Producer(RedisServer redis, int attempts) {
    this.redis = redis;
    this.attempts = attempts;
  }

  /** One batch, once; fails while Redis is away or still loading its AOF. */
  void publish(List<EmbeddedRun.Input> batch) {
    try (RedisClient j = redis.client();
        AbstractPipeline p = j.pipelined()) {
      List<Response<StreamEntryID>> replies = new ArrayList<>(batch.size());
      for (EmbeddedRun.Input d : batch) {
        replies.add(
            p.xadd(
                RunServices.NAMESPACE + ":inbox",
                StreamEntryID.NEW_ENTRY,
                Map.of("pipeline", "ner", "id", d.taskId(), "payload", d.payload().toString())));
      }
      p.sync();
      // why: a Redis still loading its AOF answers each command with LOADING, which sync() does
      // not throw: only the replies tell whether the messages were added
      replies.forEach(Response::get);
    }
  }

  void publishRetrying(List<EmbeddedRun.Input> batch) throws InterruptedException {
    for (int attempt = 1; ; attempt++) {
      try {
        publish(batch);
        return;
      } catch (RuntimeException e) {
        if (attempt >= attempts) {
          throw e;
        }
        // why: Redis is down for a moment; a producer retries (ids make a repeat harmless)
        Thread.sleep(RETRY);
      }
    }
  }

  /**
   * Publishes {@code documents} in the background, {@code batch} of them every {@code pause}, until
   * all are published or {@link #stop()}.
   */
  void start(List<EmbeddedRun.Input> documents, int batch, Duration pause) {
    producing = true;
    thread =
        Thread.ofPlatform()
            .name("producer")
            .start(() -> {
              try {
                while (producing && published.get() < documents.size()) {
                  int from = published.get();
                  List<EmbeddedRun.Input> next =
                      documents.subList(from, Math.min(documents.size(), from + batch));
                  publishRetrying(next);
                  published.addAndGet(next.size());
                  // why: a producer's pace, so that the faults meet a running flow
                  Thread.sleep(pause);
                }
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              } catch (Throwable t) {
                failure.set(t);
              }
            });
  }

  /** Documents published by the background thread so far. */
  int published() {
    return published.get();
  }

  void stop() {
    producing = false;
  }

  /** Waits for the background thread; {@code finished} names what it means that it ended. */
  void await(Duration atMost, String finished) throws InterruptedException {
    thread.join(atMost);
    assertThat(thread.isAlive()).as(finished).isFalse();
    assertThat(failure.get()).as("producer failure").isNull();
  }

  @Override
  public void close() {
    producing = false;
    if (thread != null) {
      thread.interrupt();
    }
  }
}
