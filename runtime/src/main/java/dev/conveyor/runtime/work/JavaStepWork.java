package dev.conveyor.runtime.work;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.common.config.Durations;
import dev.conveyor.common.json.ExactJson;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.StepDef;
import dev.conveyor.runtime.step.Step;
import dev.conveyor.runtime.step.StepContext;
import dev.conveyor.runtime.step.StepInput;
import dev.conveyor.runtime.step.StepResult;
import java.lang.reflect.InvocationTargetException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@code java} step: {@code workers} instances of the step's class, each opened once with the
 * step's options and shared resources. A batch is split into one contiguous chunk per instance, run
 * on virtual threads, results in batch order. {@code timeout} is per item: a call on n items may
 * take n × timeout; past that its items fail with {@code timeout after ...} and the instance is
 * replaced by a fresh one (the stuck call is interrupted). One failing item never fails the others;
 * a call that throws fails the items of that call only.
 */
public final class JavaStepWork implements StepWork {
  private static final Logger log = LoggerFactory.getLogger(JavaStepWork.class);
  // why: numbers exactly as sent (a double would turn 1e400 into "Infinity"), and a NaN a step
  // makes is written as what it is (not JSON), not as the string "NaN"
  private static final ObjectMapper JSON = ExactJson.mapper();

  private final Pipeline pipeline;
  private final StepDef step;
  private final Map<String, StepContext.SharedResource> resources;
  private final BlockingQueue<Instance> idle;
  private final ExecutorService threads;
  private volatile boolean closed;

  private record Instance(int worker, Step step) {}

  public JavaStepWork(
      Pipeline pipeline, StepDef step, Map<String, StepContext.SharedResource> resources) {
    this.pipeline = pipeline;
    this.step = step;
    this.resources = Map.copyOf(resources);
    this.idle = new ArrayBlockingQueue<>(step.workers());
    this.threads =
        Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual()
                .name("step-" + pipeline.name() + "." + step.name() + "-", 0)
                .factory());
  }

  /** Loads and opens the instances; the message of a failure says what is missing. */
  public void start() {
    for (int w = 0; w < step.workers(); w++) {
      idle.add(newInstance(w));
    }
  }

  @Override
  public List<ItemResult> process(List<WorkItem> batch) {
    int chunks = Math.min(step.workers(), batch.size());
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
    Instance instance = idle.take();
    Duration limit = step.timeout().multipliedBy(chunk.size());
    Future<List<StepResult>> call = threads.submit(() -> instance.step().process(inputs));
    try {
      List<StepResult> out = call.get(limit.toMillis(), TimeUnit.MILLISECONDS);
      idle.add(instance);
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
      replace(instance);
      return failAll(chunk, "timeout after " + Durations.format(step.timeout()));
    } catch (ExecutionException e) {
      idle.add(instance);
      Throwable cause = e.getCause();
      return failAll(chunk, cause.getClass().getSimpleName() + ": " + cause.getMessage());
    }
  }

  private static ItemResult output(StepResult.Ok ok) {
    if (ok.output() == null) {
      return new ItemResult.Output("null");
    }
    try {
      return new ItemResult.Output(JSON.writeValueAsString(ok.output()));
    } catch (JsonProcessingException e) {
      return new ItemResult.Failed(
          "the output cannot be written as JSON: " + e.getOriginalMessage());
    }
  }

  private void replace(Instance stuck) {
    log.atWarn()
        .addKeyValue("event", "step_instance_replaced")
        .addKeyValue("pipeline", pipeline.name())
        .addKeyValue("step", step.name())
        .addKeyValue("worker", stuck.worker())
        .addKeyValue("reason", "timeout")
        .log();
    // why: the stuck call is interrupted, but a step that ignores interrupts keeps its thread;
    // the instance must not be used again either way
    threads.submit(() -> closeQuietly(stuck));
    try {
      idle.add(newInstance(stuck.worker()));
    } catch (IllegalStateException e) {
      // why: never shrink the pool to nothing; the interrupted instance is the best there is
      log.atError()
          .addKeyValue("event", "step_instance_failed")
          .addKeyValue("step", step.name())
          .addKeyValue("worker", stuck.worker())
          .addKeyValue("error", e.getMessage())
          .log();
      idle.add(stuck);
    }
  }

  private Instance newInstance(int worker) {
    Step s;
    try {
      Class<?> type =
          Class.forName(step.javaClass(), true, Thread.currentThread().getContextClassLoader());
      if (!Step.class.isAssignableFrom(type)) {
        throw new IllegalStateException(
            "class " + step.javaClass() + " does not implement " + Step.class.getName());
      }
      s = (Step) type.getDeclaredConstructor().newInstance();
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException("class not found: " + step.javaClass(), e);
    } catch (NoSuchMethodException e) {
      throw new IllegalStateException(
          "class " + step.javaClass() + " has no public no-argument constructor", e);
    } catch (InstantiationException | IllegalAccessException | InvocationTargetException e) {
      throw new IllegalStateException("cannot create " + step.javaClass() + ": " + e, e);
    }
    try {
      s.open(new StepContext(pipeline.name(), step.name(), worker, step.options(), resources));
    } catch (Exception e) {
      throw new IllegalStateException(
          "step " + step.name() + " failed to open: " + e.getMessage(), e);
    }
    return new Instance(worker, s);
  }

  /** Closes every instance; calling it again is harmless. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    Instance i;
    while ((i = idle.poll()) != null) {
      closeQuietly(i);
    }
    threads.shutdownNow();
    try {
      threads.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void closeQuietly(Instance i) {
    try {
      i.step().close();
    } catch (Exception e) {
      log.atWarn()
          .addKeyValue("event", "step_close_failed")
          .addKeyValue("step", step.name())
          .addKeyValue("worker", i.worker())
          .addKeyValue("error", String.valueOf(e.getMessage()))
          .log();
    }
  }

  private static List<ItemResult> failAll(List<WorkItem> chunk, String error) {
    List<ItemResult> failed = new ArrayList<>(chunk.size());
    chunk.forEach(w -> failed.add(new ItemResult.Failed(error)));
    return failed;
  }
}
