package dev.conveyor.runtime.work;

import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.StepDef;
import dev.conveyor.runtime.step.Step;
import dev.conveyor.runtime.step.StepContext;
import java.lang.reflect.InvocationTargetException;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The opened instances of one {@code java} step, one per worker: made from the step's class by its
 * public no-argument constructor and opened once with the step's options and shared resources. A
 * chunk of a batch checks one out alone ({@link #take}) and hands it back ({@link #give}); one
 * whose call overran its timeout is {@linkplain #replace replaced}. Thread-safe.
 */
final class StepInstances {
  private static final Logger log = LoggerFactory.getLogger(StepInstances.class);

  private final Pipeline pipeline;
  private final StepDef step;
  private final Map<String, StepContext.SharedResource> resources;
  private final BlockingQueue<Instance> idle;

  /** One opened instance and the worker number it was opened as. */
  record Instance(int worker, Step step) {}

  StepInstances(
      Pipeline pipeline, StepDef step, Map<String, StepContext.SharedResource> resources) {
    this.pipeline = pipeline;
    this.step = step;
    this.resources = Map.copyOf(resources);
    this.idle = new ArrayBlockingQueue<>(step.workers());
  }

  /**
   * Makes and opens one instance per worker.
   *
   * @throws IllegalStateException saying what is missing: the class, its constructor, or why it did
   *     not open
   */
  void open() {
    for (int w = 0; w < step.workers(); w++) {
      idle.add(newInstance(w));
    }
  }

  /** An instance for the caller alone; waits while every one is in use. */
  Instance take() throws InterruptedException {
    return idle.take();
  }

  /** Hands back an instance that {@link #take} gave. */
  void give(Instance instance) {
    idle.add(instance);
  }

  /**
   * Puts a fresh instance in the place of one whose call overran its timeout, and closes the stuck
   * one on {@code closer}; keeps the stuck one if no fresh one opens.
   */
  void replace(Instance stuck, Executor closer) {
    log.atWarn()
        .addKeyValue("event", "step_instance_replaced")
        .addKeyValue("pipeline", pipeline.name())
        .addKeyValue("step", step.name())
        .addKeyValue("worker", stuck.worker())
        .addKeyValue("reason", "timeout")
        .log();
    // why: the stuck call is interrupted, but a step that ignores interrupts keeps its thread;
    // the instance must not be used again either way
    closer.execute(() -> closeQuietly(stuck));
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

  /** Closes the instances not in use. */
  void closeIdle() {
    Instance i;
    while ((i = idle.poll()) != null) {
      closeQuietly(i);
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
}
