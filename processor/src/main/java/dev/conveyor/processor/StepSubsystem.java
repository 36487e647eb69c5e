package dev.conveyor.processor;

import dev.conveyor.common.lifecycle.Lifecycle;
import dev.conveyor.common.lifecycle.State;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.StepDef;
import dev.conveyor.runtime.work.command.CommandWork;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * One step of one pipeline as a subsystem. Activation checks its prerequisites and builds what runs
 * it (for a sink: the table is checked against the database); when they are missing the step is
 * DISABLED with the reason while the other steps run.
 */
final class StepSubsystem extends Lifecycle {
  private final Pipeline pipeline;
  private final StepDef step;
  private final Function<StepSubsystem, StepRunner> factory;
  private volatile StepRunner runner;
  private volatile CommandWork command;
  private final List<Runnable> onClose = new CopyOnWriteArrayList<>();

  StepSubsystem(Pipeline pipeline, StepDef step, Function<StepSubsystem, StepRunner> factory) {
    super("step " + pipeline.name() + "." + step.name());
    this.pipeline = pipeline;
    this.step = step;
    this.factory = factory;
  }

  Pipeline pipeline() {
    return pipeline;
  }

  StepDef step() {
    return step;
  }

  /** Runs when the step stops, after its work closed (e.g. releasing shared resources). */
  void onClose(Runnable action) {
    onClose.add(action);
  }

  /** The workers of a command step, for reloads; set while it is active. */
  void command(CommandWork work) {
    this.command = work;
  }

  /** The workers of a command step while it is active. */
  Optional<CommandWork> command() {
    return Optional.ofNullable(command);
  }

  /** What runs the step's ticks; available once READY. */
  StepRunner runner() {
    return Objects.requireNonNull(runner, "step not activated");
  }

  @Override
  protected void onActivate() {
    try {
      runner = factory.apply(this);
      runner.suspendedWhen(() -> state() == State.INTERMITTED);
    } catch (RuntimeException e) {
      // why: what was acquired before the failure (shared resources) must be released now
      close();
      throw e;
    }
  }

  @Override
  protected void onComplete() {
    close();
  }

  @Override
  protected void onTerminate() {
    close();
  }

  private void close() {
    command = null;
    StepRunner r = runner;
    if (r != null) {
      r.close();
    }
    onClose.forEach(Runnable::run);
    onClose.clear();
  }
}
