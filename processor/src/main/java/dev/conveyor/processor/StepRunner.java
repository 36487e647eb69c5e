package dev.conveyor.processor;

import dev.conveyor.common.pipeline.Pipeline;
import dev.conveyor.common.pipeline.StepDef;
import dev.conveyor.common.redis.StreamGroup;
import dev.conveyor.common.redis.StreamMessage;
import dev.conveyor.common.task.Progress;
import dev.conveyor.common.task.QueueItem;
import dev.conveyor.common.task.StepProgress;
import dev.conveyor.common.task.TaskStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one step's ticks. A tick on a shard first works through the shard's pending entries (those
 * an interrupted tick left, and failed items), then drains new entries in batches until {@code
 * slice} is used up; when the queue is empty it waits on the stream for what is left of the slice
 * (so an idle step costs one tick per slice + offset, not a stream of empty ticks). It answers when
 * the next tick should run: at once if the slice ran out with work left, else after {@code offset}.
 * An item is acknowledged only after its output, its successors and its task's completion are
 * recorded.
 */
final class StepRunner {
  /** The one consumer of each shard queue: only one tick of a shard runs at a time. */
  static final String CONSUMER = "tick";

  private static final Logger log = LoggerFactory.getLogger(StepRunner.class);

  private final Pipeline pipeline;
  private final StepDef step;
  private final IntFunction<StreamGroup> queues;
  private final TaskStore tasks;
  private final StepWork work;
  private final StepProgress progress;
  private final TaskCompletion completion;
  private final Duration block;
  private final Clock clock;
  private final Counter processed;
  private final Counter failed;
  private final Counter finished;

  StepRunner(
      Pipeline pipeline,
      StepDef step,
      IntFunction<StreamGroup> queues,
      TaskStore tasks,
      StepWork work,
      TaskCompletion completion,
      Duration block,
      Clock clock,
      MeterRegistry registry) {
    this.pipeline = pipeline;
    this.step = step;
    this.queues = queues;
    this.tasks = tasks;
    this.work = work;
    this.progress = StepProgress.of(pipeline, step);
    this.completion = completion;
    this.block = block;
    this.clock = clock;
    String[] tags = {"pipeline", pipeline.name(), "step", step.name()};
    this.processed = registry.counter("conveyor_processor_items", tags);
    this.failed = registry.counter("conveyor_processor_item_failures", tags);
    this.finished =
        registry.counter("conveyor_processor_tasks_finished", "pipeline", pipeline.name());
  }

  Pipeline pipeline() {
    return pipeline;
  }

  StepDef step() {
    return step;
  }

  /** Makes sure every shard's queue and consumer group exist. */
  void prepareQueues() {
    for (int shard = 0; shard < step.shards(); shard++) {
      queues.apply(shard).ensure();
    }
  }

  /** One tick on {@code shard}; returns the delay before the next one. */
  Duration tick(int shard) {
    StreamGroup queue = queues.apply(shard);
    Instant deadline = clock.instant().plus(step.slice());
    String after = "0-0";
    while (true) {
      List<StreamMessage> pending = queue.readPending(CONSUMER, step.batch(), after);
      if (pending.isEmpty()) {
        break;
      }
      process(queue, pending);
      after = pending.getLast().id();
      if (!clock.instant().isBefore(deadline)) {
        return Duration.ZERO;
      }
    }
    while (true) {
      Duration left = Duration.between(clock.instant(), deadline);
      if (left.isNegative() || left.isZero()) {
        return Duration.ZERO;
      }
      List<StreamMessage> fresh = queue.readNew(CONSUMER, step.batch(), Duration.ZERO);
      if (fresh.isEmpty()) {
        Duration wait = left.compareTo(block) < 0 ? left : block;
        fresh = queue.readNew(CONSUMER, step.batch(), wait.isZero() ? Duration.ofMillis(1) : wait);
        if (fresh.isEmpty()) {
          return step.offset();
        }
      }
      process(queue, fresh);
    }
  }

  private void process(StreamGroup queue, List<StreamMessage> entries) {
    List<String> ack = new ArrayList<>(entries.size());
    List<QueueItem> items = new ArrayList<>(entries.size());
    for (StreamMessage entry : entries) {
      QueueItem.from(entry).ifPresentOrElse(items::add, () -> ack.add(entry.id()));
    }
    List<String> inputs = tasks.inputs(step, items);
    List<WorkItem> batch = new ArrayList<>(items.size());
    for (int i = 0; i < items.size(); i++) {
      if (inputs.get(i) == null) {
        // why: the task is gone (finished and cleaned up): this is a late redelivery
        ack.add(items.get(i).entryId());
      } else {
        batch.add(new WorkItem(items.get(i), inputs.get(i)));
      }
    }
    List<ItemResult> results = batch.isEmpty() ? List.of() : work.process(batch);
    Map<String, List<Map.Entry<String, Integer>>> successors = new LinkedHashMap<>();
    Set<String> complete = new LinkedHashSet<>();
    for (int i = 0; i < batch.size(); i++) {
      QueueItem item = batch.get(i).item();
      switch (results.get(i)) {
        case ItemResult.Output out -> {
          Progress p = tasks.recordOutput(progress, item, out.value());
          for (String next : p.ready()) {
            int part = pipeline.runsPerTask(next) ? QueueItem.TASK : item.part();
            successors
                .computeIfAbsent(next, k -> new ArrayList<>())
                .add(Map.entry(item.taskId(), part));
          }
          if (p.complete()) {
            complete.add(item.taskId());
          }
          ack.add(item.entryId());
          processed.increment();
        }
        case ItemResult.Failed f -> {
          failed.increment();
          log.atWarn()
              .addKeyValue("event", "item_failed")
              .addKeyValue("pipeline", pipeline.name())
              .addKeyValue("step", step.name())
              .addKeyValue("task", item.taskId())
              .addKeyValue("part", item.part())
              .addKeyValue("error", f.error())
              .log();
        }
      }
    }
    successors.forEach(
        (next, list) -> tasks.enqueue(pipeline, pipeline.step(next).orElseThrow(), list));
    for (String taskId : complete) {
      completion.finish(pipeline, taskId).ifPresent(row -> finished.increment());
    }
    queue.ack(ack);
  }
}
