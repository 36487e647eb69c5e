package dev.conveyor.processor;

import dev.conveyor.common.http.HttpRequest;
import dev.conveyor.common.http.HttpResponse;
import dev.conveyor.common.lifecycle.IllegalTransitionException;
import dev.conveyor.common.lifecycle.State;
import dev.conveyor.runtime.quartz.ChainKey;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;
import org.quartz.TriggerKey;
import org.quartz.impl.matchers.GroupMatcher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Suspends and resumes single steps for the whole cluster: a suspended step's chains are paused in
 * Quartz's store (every processor stops ticking it, and it stays paused across restarts); resuming
 * resumes them. Each processor reflects the paused state in the step's lifecycle (INTERMITTED) on
 * its next sync, so {@code /status} everywhere shows it.
 */
final class StepControl {
  private static final Logger log = LoggerFactory.getLogger(StepControl.class);

  private final List<StepSubsystem> steps;
  private final Supplier<Scheduler> scheduler;
  private final BooleanSupplier processorRunning;

  /**
   * @param processorRunning whether the processor itself runs: while it is suspended its steps are
   *     suspended with it, and a sync must not resume them
   */
  StepControl(
      List<StepSubsystem> steps, Supplier<Scheduler> scheduler, BooleanSupplier processorRunning) {
    this.steps = steps;
    this.scheduler = scheduler;
    this.processorRunning = processorRunning;
  }

  /** {@code POST /steps/<pipeline>.<step>/suspend} and {@code .../resume}. */
  HttpResponse handle(HttpRequest request) throws SchedulerException {
    String[] path = request.wildcard().split("/");
    if (path.length != 2 || !(path[1].equals("suspend") || path[1].equals("resume"))) {
      return HttpResponse.json(
          404, Map.of("error", "use POST /steps/<pipeline>.<step>/suspend or .../resume"));
    }
    Optional<StepSubsystem> step =
        steps.stream()
            .filter(s -> (s.pipeline().name() + "." + s.step().name()).equals(path[0]))
            .findFirst();
    if (step.isEmpty()) {
      return HttpResponse.json(404, Map.of("error", "no step " + path[0] + " on this processor"));
    }
    StepSubsystem s = step.get();
    if (s.state() != State.RUNNING && s.state() != State.INTERMITTED) {
      return HttpResponse.json(
          409, Map.of("error", "step " + path[0] + " is " + s.state(), "step", path[0]));
    }
    boolean suspend = path[1].equals("suspend");
    GroupMatcher<TriggerKey> group =
        GroupMatcher.triggerGroupEquals(
            ChainKey.triggerGroup(s.pipeline().name(), s.step().name()));
    if (suspend) {
      scheduler.get().pauseTriggers(group);
    } else {
      scheduler.get().resumeTriggers(group);
    }
    log.atInfo()
        .addKeyValue("event", suspend ? "step_suspended" : "step_resumed")
        .addKeyValue("step", path[0])
        .log();
    sync();
    return HttpResponse.json(200, Map.of("step", path[0], "state", s.state().name()));
  }

  /**
   * Makes each running step's lifecycle follow its chains' paused state in Quartz.
   *
   * @throws IllegalStateException when Quartz's store could not be read (the periodic task reports
   *     it, to the service watch when PostgreSQL is down)
   */
  void sync() {
    Set<String> paused;
    try {
      paused = scheduler.get().getPausedTriggerGroups();
    } catch (SchedulerException e) {
      throw new IllegalStateException("could not read the paused chains: " + e.getMessage(), e);
    }
    for (StepSubsystem s : steps) {
      if (s.state() != State.RUNNING && s.state() != State.INTERMITTED) {
        continue;
      }
      boolean isPaused =
          paused.contains(ChainKey.triggerGroup(s.pipeline().name(), s.step().name()));
      try {
        if (isPaused && s.state() == State.RUNNING) {
          s.suspend();
        } else if (!isPaused && s.state() == State.INTERMITTED && processorRunning.getAsBoolean()) {
          // why: steps the processor's own suspension suspended stay so until it resumes
          s.resume();
        }
      } catch (IllegalTransitionException e) {
        log.atWarn()
            .addKeyValue("event", "step_sync_failed")
            .addKeyValue("step", s.pipeline().name() + "." + s.step().name())
            .addKeyValue("error", String.valueOf(e.getMessage()))
            .log();
      }
    }
  }
}
