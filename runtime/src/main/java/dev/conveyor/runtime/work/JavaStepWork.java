package dev.conveyor.runtime.work;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.common.config.Durations;
import dev.conveyor.common.json.ExactJson;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.StepDef;
import dev.conveyor.runtime.step.StepContext;
import dev.conveyor.runtime.step.StepInput;
import dev.conveyor.runtime.step.StepResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A {@code java} step: {@code workers} instances of the step's class, each opened once with the
 * step's options and shared resources ({@link StepInstances}). A batch is split into one contiguous
 * chunk per instance, run on virtual threads (a single chunk on the caller's), results in batch
 * order. {@code timeout} is per item: a call on n items may take n × timeout; past that its items
 * fail with {@code timeout after ...} and the instance is replaced by a fresh one (the stuck call
 * is interrupted). One failing item never fails the others; a call that throws fails the items of
 * that call only.
 */
public final class JavaStepWork implements StepWork {
  // why: numbers exactly as sent (a double would turn 1e400 into "Infinity"), and a NaN a step
  // makes is written as what it is (not JSON), not as the string "NaN"
  private static final ObjectMapper JSON = ExactJson.mapper();

  private final StepDef step;
  private final StepInstances instances;
  private final ExecutorService threads;
  private volatile boolean closed;

  public JavaStepWork(
      Pipeline pipeline, StepDef step, Map<String, StepContext.SharedResource> resources) {
    this.step = step;
    this.instances = new StepInstances(pipeline, step, resources);
    this.threads =
        Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual()
                .name("step-" + pipeline.name() + "." + step.name() + "-", 0)
                .factory());
  }

  /** Loads and opens the instances; the message of a failure says what is missing. */
  public void start() {
    instances.open();
  }

  @Override
  public List<ItemResult> process(List<WorkItem> batch) {
    if (batch.isEmpty()) {
      return List.of();
    }
    int chunks = Math.min(step.workers(), batch.size());
    if (chunks == 1) {
      // why: one chunk has nothing to run beside it; handed to a thread of its own, it would add
      // that thread's wake-up and the wait for it to every item (its step call still runs on one,
      // for the timeout)
      try {
        return runChunk(batch);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while step " + step.name() + " ran", e);
      }
    }
    int size = (batch.size() + chunks - 1) / chunks;
    List<Future<List<ItemResult>>> futures = new ArrayList<>(chunks);
    for (int from = 0; from < batch.size(); from += size) {
      List<WorkItem> chunk = batch.subList(from, Math.min(batch.size(), from + size));
      futures.add(threads.submit(() -> runChunk(chunk)));
    }
    List<ItemResult> results = new ArrayList<>(batch.size());
    for (Future<List<ItemResult>> f : futures) {
      try {
        results.addAll(f.get());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while step " + step.name() + " ran", e);
      } catch (ExecutionException e) {
        throw new IllegalStateException("step " + step.name() + ": " + e.getCause(), e.getCause());
      }
    }
    return results;
  }

  private List<ItemResult> runChunk(List<WorkItem> chunk) throws InterruptedException {
    List<StepInput> inputs = new ArrayList<>(chunk.size());
    List<ItemResult> results = new ArrayList<>(chunk.size());
    for (WorkItem w : chunk) {
      try {
        inputs.add(new StepInput(w.item().taskId(), w.item().part(), ExactJson.read(w.input())));
      } catch (JsonProcessingException e) {
        return failAll(chunk, "input is not JSON: " + e.getOriginalMessage());
      }
    }
    StepInstances.Instance instance = instances.take();
    Duration limit = step.timeout().multipliedBy(chunk.size());
    Future<List<StepResult>> call = threads.submit(() -> instance.step().process(inputs));
    try {
      List<StepResult> out = call.get(limit.toMillis(), TimeUnit.MILLISECONDS);
      instances.give(instance);
      if (out == null || out.size() != chunk.size()) {
        return failAll(
            chunk,
            "step returned "
                + (out == null ? "null" : out.size())
                + " results for "
                + chunk.size()
                + " items");
      }
      for (StepResult r : out) {
        results.add(
            switch (r) {
              case StepResult.Ok ok -> output(ok);
              case StepResult.Failed failed -> new ItemResult.Failed(failed.error());
              case null -> new ItemResult.Failed("step returned null for the item");
            });
      }
      return results;
    } catch (TimeoutException e) {
      call.cancel(true);
      instances.replace(instance, threads);
      return failAll(chunk, "timeout after " + Durations.format(step.timeout()));
    } catch (ExecutionException e) {
      instances.give(instance);
      Throwable cause = e.getCause();
      return failAll(chunk, cause.getClass().getSimpleName() + ": " + cause.getMessage());
    } catch (InterruptedException e) {
      // why: the caller stops waiting, not the call: its instance comes back when the call ends
      // (or is replaced when it overruns), as if a thread of its own had waited for it
      try {
        threads.execute(() -> settle(call, instance, limit));
      } catch (RejectedExecutionException closing) {
        e.addSuppressed(closing);
      }
      throw e;
    }
  }

  /** Waits for a call nobody waits for any more, then gives its instance back or replaces it. */
  private void settle(
      Future<List<StepResult>> call, StepInstances.Instance instance, Duration limit) {
    try {
      call.get(limit.toMillis(), TimeUnit.MILLISECONDS);
      instances.give(instance);
    } catch (ExecutionException e) {
      instances.give(instance);
    } catch (TimeoutException | InterruptedException e) {
      call.cancel(true);
      instances.replace(instance, threads);
    }
  }

  private static ItemResult output(StepResult.Ok ok) {
    if (ok.output() == null) {
      return new ItemResult.Output("null");
    }
    try {
      // why: the tree is at hand; checking it spares the processor reading the text back to check
      return new ItemResult.Output(
          JSON.writeValueAsString(ok.output()), ExactJson.storableTree(ok.output()));
    } catch (JsonProcessingException e) {
      return new ItemResult.Failed(
          "the output cannot be written as JSON: " + e.getOriginalMessage());
    }
  }

  /** Closes every instance; calling it again is harmless. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    instances.closeIdle();
    threads.shutdownNow();
    try {
      threads.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static List<ItemResult> failAll(List<WorkItem> chunk, String error) {
    List<ItemResult> failed = new ArrayList<>(chunk.size());
    chunk.forEach(w -> failed.add(new ItemResult.Failed(error)));
    return failed;
  }
}
