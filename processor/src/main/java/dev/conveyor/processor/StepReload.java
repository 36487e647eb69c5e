package dev.conveyor.processor;

import dev.conveyor.common.http.HttpRequest;
import dev.conveyor.common.http.HttpResponse;
import dev.conveyor.common.lifecycle.State;
import dev.conveyor.runtime.pipeline.StepKind;
import dev.conveyor.runtime.work.command.CommandWork;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * New code without a restart, for the command steps of this processor: periodically ({@code
 * CONVEYOR_RELOAD_CHECK}) each running step's workers are replaced when its program or resource
 * files changed on disk, and {@code POST /reload[?step=<pipeline>.<step>]} replaces them on demand
 * ({@link CommandWork#reload(String)}). Java steps are not reloaded: their classes need a restart.
 */
final class StepReload {
  private final List<StepSubsystem> steps;

  StepReload(List<StepSubsystem> steps) {
    this.steps = steps;
  }

  /** One round of the periodic check: reloads the command steps whose files changed. */
  void checkAll() {
    for (StepSubsystem s : steps) {
      if (running(s)) {
        s.command().ifPresent(CommandWork::reloadIfChanged);
      }
    }
  }

  /**
   * {@code POST /reload}: every running command step, or the one named by {@code ?step=}; answers
   * {@code {"steps": {"<pipeline>.<step>": "reloaded" | "kept"}}} ({@code kept}: the new program
   * did not start, the old workers go on; the WARN {@code step_reload_failed} says why).
   */
  HttpResponse handle(HttpRequest request) {
    Optional<String> only = request.queryParam("step");
    Map<String, String> outcome = new LinkedHashMap<>();
    boolean found = false;
    for (StepSubsystem s : steps) {
      String name = s.pipeline().name() + "." + s.step().name();
      if (only.isPresent() && !only.get().equals(name)) {
        continue;
      }
      found = true;
      if (only.isPresent() && s.step().kind() != StepKind.COMMAND) {
        return HttpResponse.json(
            409,
            Map.of(
                "error",
                "step "
                    + name
                    + " is of kind "
                    + s.step().kind().name().toLowerCase(Locale.ROOT)
                    + ": only command steps reload (java steps need a restart)",
                "step",
                name));
      }
      if (only.isPresent() && !running(s)) {
        return HttpResponse.json(409, Map.of("error", "step " + name + " is " + s.state()));
      }
      Optional<CommandWork> work = running(s) ? s.command() : Optional.empty();
      work.ifPresent(w -> outcome.put(name, w.reload("requested") ? "reloaded" : "kept"));
    }
    if (only.isPresent() && !found) {
      return HttpResponse.json(
          404, Map.of("error", "no step " + only.get() + " on this processor"));
    }
    return HttpResponse.json(200, Map.of("steps", outcome));
  }

  private static boolean running(StepSubsystem s) {
    return s.state() == State.RUNNING || s.state() == State.INTERMITTED;
  }
}
