package dev.conveyor.processor;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The runs of a co-located sink that a tick leaves to its batch's finishing ({@link
 * FinishingLane}): a terminal sink run on its one predecessor's outputs ({@link ChainedRun}) writes
 * its rows and records both outputs there, while the tick works its next batch. Nothing in the tick
 * waits for them: a terminal sink makes nothing ready but its task's completion, which the
 * finishing answers for itself. Each run answers the tasks it completed.
 */
final class LaterSinkRuns {
  private final List<Supplier<List<String>>> runs = new ArrayList<>();

  void add(Supplier<List<String>> run) {
    runs.add(run);
  }

  /** Runs them in the order they were left; the tasks they completed, {@code complete} first. */
  List<String> runAll(List<String> complete) {
    if (runs.isEmpty()) {
      return complete;
    }
    Set<String> all = new LinkedHashSet<>(complete);
    runs.forEach(r -> all.addAll(r.get()));
    return List.copyOf(all);
  }
}
