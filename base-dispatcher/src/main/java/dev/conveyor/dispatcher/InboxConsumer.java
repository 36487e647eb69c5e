package dev.conveyor.dispatcher;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conveyor.common.db.TaskAuditRepository;
import dev.conveyor.common.lifecycle.Lifecycle;
import dev.conveyor.common.redis.StreamGroup;
import dev.conveyor.common.redis.StreamMessage;
import dev.conveyor.common.task.RegisterOutcome;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The intake loop: reads the inbox with consumer group {@code dispatchers}, first this consumer's
 * own pending entries (left by a crash), then new ones; validates, deduplicates, splits, fans out
 * or rejects each entry, and acknowledges a batch only after all of it is durably recorded. When
 * Redis or PostgreSQL fails, nothing is acknowledged: the loop backs off and reads its pending
 * entries again.
 */
final class InboxConsumer extends Lifecycle {
  private static final Logger log = LoggerFactory.getLogger(InboxConsumer.class);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(20);

  private final Supplier<StreamGroup> inbox;
  private final String consumer;
  private final int batch;
  private final Duration block;
  private final Supplier<Intake> intake;
  private final IntakeMetrics metrics;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private volatile boolean running;
  private volatile boolean paused;
  private volatile Thread thread;

  /** What handling an entry needs; built once the subsystems it uses are ready. */
  record Intake(
      MessageValidator validator,
      Rejections rejections,
      TaskFanOut fanOut,
      TaskAuditRepository audit) {}

  InboxConsumer(
      Supplier<StreamGroup> inbox,
      String consumer,
      int batch,
      Duration block,
      Supplier<Intake> intake,
      MeterRegistry registry) {
    super("intake");
    this.inbox = inbox;
    this.consumer = consumer;
    this.batch = batch;
    this.block = block;
    this.intake = intake;
    this.metrics = new IntakeMetrics(registry);
  }

  @Override
  protected void onStart() {
    inbox.get().ensure();
    running = true;
    thread = Thread.ofPlatform().name("intake").start(this::loop);
  }

  @Override
  protected void onSuspend() {
    paused = true;
  }

  @Override
  protected void onResume() {
    signal(() -> paused = false);
  }

  @Override
  protected void onComplete() throws InterruptedException {
    stop();
  }

  @Override
  protected void onTerminate() throws InterruptedException {
    stop();
  }

  private void stop() throws InterruptedException {
    signal(() -> running = false);
    Thread t = thread;
    if (t != null) {
      // why: the batch in hand finishes and the blocking read returns within BLOCK
      if (!t.join(STOP_TIMEOUT)) {
        t.interrupt();
        t.join(Duration.ofSeconds(2));
      }
    }
  }

  private void loop() {
    StreamGroup group = inbox.get();
    Intake handler = intake.get();
    boolean pendingFirst = true;
    int failures = 0;
    while (running) {
      if (paused) {
        awaitChange(Duration.ofSeconds(1));
        continue;
      }
      try {
        List<StreamMessage> entries =
            pendingFirst
                ? group.readPending(consumer, batch)
                : group.readNew(consumer, batch, block);
        if (pendingFirst && entries.isEmpty()) {
          pendingFirst = false;
          continue;
        }
        if (!entries.isEmpty()) {
          handle(group, handler, entries);
        }
        failures = 0;
      } catch (RuntimeException e) {
        failures++;
        pendingFirst = true;
        Duration wait = backoff(failures);
        log.atWarn()
            .addKeyValue("event", "intake_retry")
            .addKeyValue("consumer", consumer)
            .addKeyValue("attempt", failures)
            .addKeyValue("retry_in", wait)
            .addKeyValue("error", String.valueOf(e.getMessage()))
            .log();
        awaitChange(wait);
      }
    }
  }

  private void handle(StreamGroup group, Intake h, List<StreamMessage> entries) {
    List<Verdict> verdicts = new ArrayList<>(entries.size());
    Set<String> ids = new HashSet<>();
    for (StreamMessage entry : entries) {
      Verdict v = h.validator().check(entry);
      verdicts.add(v);
      if (v instanceof Verdict.Accepted a) {
        ids.add(a.message().taskId());
      }
    }
    // why: after a task was finished and cleaned up, its audit row is the memory of its id
    Set<String> finished = h.audit().existing(ids);
    int accepted = 0;
    int rejected = 0;
    int duplicates = 0;
    for (int i = 0; i < entries.size(); i++) {
      StreamMessage entry = entries.get(i);
      Verdict v = verdicts.get(i);
      if (v instanceof Verdict.Accepted a && !finished.contains(a.message().taskId())) {
        InboundMessage m = a.message();
        Optional<List<ObjectNode>> parts = Splitter.split(m.pipeline().split(), m.payload());
        if (parts.isEmpty()) {
          v =
              new Verdict.Rejected(
                  RejectReason.UNSPLITTABLE,
                  "pipeline "
                      + m.pipeline().name()
                      + " splits text: payload needs a string field '"
                      + m.pipeline().split().field()
                      + "'");
        } else {
          RegisterOutcome outcome = h.fanOut().dispatch(m, parts.get());
          switch (outcome) {
            case NEW, RESUME -> {
              accepted++;
              metrics.dispatched(m.pipeline().name(), parts.get().size());
            }
            case DUPLICATE -> {
              duplicates++;
              metrics.duplicate();
            }
            case DONE -> {
              // a re-pass over an entry fully handled before a crash: only the ack was missing
            }
          }
          continue;
        }
      } else if (v instanceof Verdict.Accepted) {
        duplicates++;
        metrics.duplicate();
        continue;
      }
      Verdict.Rejected r = (Verdict.Rejected) v;
      h.rejections().store(entry, r);
      rejected++;
      metrics.rejected(r.reason());
      log.atWarn()
          .addKeyValue("event", "rejected")
          .addKeyValue("stream_id", entry.id())
          .addKeyValue("reason", r.reason().code())
          .addKeyValue("detail", r.detail())
          .log();
    }
    group.ack(entries.stream().map(StreamMessage::id).toList());
    metrics.received(entries.size());
    log.atDebug()
        .addKeyValue("event", "intake_batch")
        .addKeyValue("entries", entries.size())
        .addKeyValue("accepted", accepted)
        .addKeyValue("rejected", rejected)
        .addKeyValue("duplicates", duplicates)
        .log();
  }

  private static Duration backoff(int failures) {
    long ms = 250L << Math.min(failures - 1, 16);
    return Duration.ofMillis(Math.min(ms, MAX_BACKOFF.toMillis()));
  }

  private void awaitChange(Duration wait) {
    lock.lock();
    try {
      changed.await(wait.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      running = false;
    } finally {
      lock.unlock();
    }
  }

  private void signal(Runnable change) {
    lock.lock();
    try {
      change.run();
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** The intake's counters. */
  private static final class IntakeMetrics {
    private final MeterRegistry registry;
    private final Counter received;
    private final Counter duplicates;

    IntakeMetrics(MeterRegistry registry) {
      this.registry = registry;
      this.received = registry.counter("conveyor_dispatcher_received");
      this.duplicates = registry.counter("conveyor_dispatcher_duplicates");
    }

    void received(int n) {
      received.increment(n);
    }

    void duplicate() {
      duplicates.increment();
    }

    void rejected(RejectReason reason) {
      registry.counter("conveyor_dispatcher_rejected", "reason", reason.code()).increment();
    }

    void dispatched(String pipeline, int parts) {
      registry.counter("conveyor_dispatcher_tasks_dispatched", "pipeline", pipeline).increment();
      registry
          .counter("conveyor_dispatcher_parts_dispatched", "pipeline", pipeline)
          .increment(parts);
    }
  }
}
