package dev.conveyor.runtime.pipeline;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The rules that span steps: unique names, known predecessors and resources, an entry step, no
 * cycles, task scope only after something. The parser runs it to report problems; {@link Pipeline}
 * runs it so that no invalid pipeline can be built by hand either.
 */
final class PipelineValidator {
  /** The parts of a step these rules look at. */
  record StepLinks(String name, List<String> after, Scope scope, List<String> resources) {
    static StepLinks of(StepDef step) {
      return new StepLinks(step.name(), step.after(), step.scope(), step.resources());
    }
  }

  private PipelineValidator() {}

  /**
   * Problems with the step graph, one line each, in declaration order.
   *
   * @param resourceNames the pipeline's resource names, or {@code null} to skip resource checks
   */
  static List<String> problems(List<StepLinks> steps, Set<String> resourceNames) {
    var problems = new ArrayList<String>();
    var byName = new LinkedHashMap<String, StepLinks>();
    var reportedDuplicates = new HashSet<String>();
    for (StepLinks step : steps) {
      if (byName.putIfAbsent(step.name(), step) != null && reportedDuplicates.add(step.name())) {
        problems.add("duplicate step '" + step.name() + "'");
      }
    }
    for (StepLinks step : steps) {
      String where = "step '" + step.name() + "': ";
      var seen = new HashSet<String>();
      for (String pred : step.after()) {
        if (!seen.add(pred)) {
          problems.add(where + "predecessor '" + pred + "' listed twice in 'after'");
        } else if (pred.equals(step.name())) {
          problems.add(where + "lists itself in 'after'");
        } else if (!byName.containsKey(pred)) {
          problems.add(where + "unknown predecessor '" + pred + "'");
        }
      }
      if (step.scope() == Scope.TASK && step.after().isEmpty()) {
        problems.add(
            where + "scope task needs predecessors in 'after' (an entry step runs once per part)");
      }
      if (resourceNames != null) {
        var seenResources = new HashSet<String>();
        for (String resource : step.resources()) {
          if (!seenResources.add(resource)) {
            problems.add(where + "resource '" + resource + "' listed twice");
          } else if (!resourceNames.contains(resource)) {
            problems.add(where + "unknown resource '" + resource + "' " + known(resourceNames));
          }
        }
      }
    }
    if (!steps.isEmpty() && steps.stream().noneMatch(s -> s.after().isEmpty())) {
      problems.add("no entry step (every step has a predecessor)");
    }
    new CycleFinder(byName).find(problems);
    if (problems.isEmpty()) {
      // why: the levels are only defined on a valid graph (no cycles, no self or unknown links)
      mixedLevels(steps, byName, problems);
    }
    return problems;
  }

  /**
   * A step after a task-scope step runs once per task too; a step may not join a per-task output
   * with per-part ones.
   */
  private static void mixedLevels(
      List<StepLinks> steps, Map<String, StepLinks> byName, List<String> problems) {
    Map<String, Boolean> perTask = new HashMap<>();
    for (StepLinks step : steps) {
      List<String> taskLevel = new ArrayList<>();
      List<String> partLevel = new ArrayList<>();
      for (String pred : step.after()) {
        if (byName.containsKey(pred)) {
          (runsPerTask(pred, byName, perTask) ? taskLevel : partLevel).add(pred);
        }
      }
      if (!taskLevel.isEmpty() && !partLevel.isEmpty()) {
        problems.add(
            "step '"
                + step.name()
                + "': joins per-task output ("
                + String.join(", ", taskLevel)
                + ") with per-part output ("
                + String.join(", ", partLevel)
                + ")");
      }
    }
  }

  /** Whether the step runs once per task: its scope is task, or a predecessor's is. */
  static boolean runsPerTask(
      String name, Map<String, StepLinks> byName, Map<String, Boolean> memo) {
    Boolean known = memo.get(name);
    if (known != null) {
      return known;
    }
    StepLinks step = byName.get(name);
    boolean result = step.scope() == Scope.TASK;
    for (String pred : step.after()) {
      result |= byName.containsKey(pred) && runsPerTask(pred, byName, memo);
    }
    memo.put(name, result);
    return result;
  }

  private static String known(Set<String> names) {
    return names.isEmpty()
        ? "(the pipeline declares no resources)"
        : "(known: " + names.stream().sorted().collect(Collectors.joining(", ")) + ")";
  }

  /** Depth-first search along successor edges; each back edge closes one reported cycle. */
  private static final class CycleFinder {
    private final Map<String, List<String>> successors = new LinkedHashMap<>();
    private final Map<String, Boolean> onPath = new HashMap<>(); // absent = not visited yet
    private final List<String> path = new ArrayList<>();

    CycleFinder(Map<String, StepLinks> byName) {
      byName.keySet().forEach(name -> successors.put(name, new ArrayList<>()));
      for (StepLinks step : byName.values()) {
        for (String pred : new LinkedHashSet<>(step.after())) {
          // why: self-references and unknown names are reported on their own, not as cycles
          if (!pred.equals(step.name()) && successors.containsKey(pred)) {
            successors.get(pred).add(step.name());
          }
        }
      }
    }

    void find(List<String> problems) {
      for (String name : successors.keySet()) {
        if (!onPath.containsKey(name)) {
          visit(name, problems);
        }
      }
    }

    private void visit(String name, List<String> problems) {
      onPath.put(name, true);
      path.add(name);
      for (String next : successors.get(name)) {
        Boolean active = onPath.get(next);
        if (active == null) {
          visit(next, problems);
        } else if (active) {
          var cycle = new ArrayList<>(path.subList(path.indexOf(next), path.size()));
          cycle.add(next);
          problems.add("steps form a cycle: " + String.join(" -> ", cycle));
        }
      }
      path.removeLast();
      onPath.put(name, false);
    }
  }
}
