package dev.conveyor.patrol;

import dev.conveyor.common.config.Durations;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.Pipelines;
import dev.conveyor.runtime.records.TaskCleanupRepository;
import dev.conveyor.runtime.records.TaskCleanupRepository.Finished;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Releases the runtime data patrol would otherwise keep for ever: of tasks held below their
 * tolerance for {@code CONVEYOR_HELD_RETENTION}, and of tasks that finished that long ago in a
 * pipeline no longer loaded (its file was removed: no rule says when to clean them). Their keys are
 * deleted as a cleanup deletes them (a snapshot kept for each task with dead items, so that those
 * stay replayable), and the audit row says so: {@code cleaned_at} set, {@code cleanup_detail}
 * beginning with {@code released after ...} ({@code event=held_released}).
 */
final class HeldRelease {
  private static final Logger log = LoggerFactory.getLogger(HeldRelease.class);

  private final Pipelines pipelines;
  private final TaskEraser eraser;
  private final TaskCleanupRepository audit;
  private final Clock clock;
  private final Duration retention;
  private final int budget;
  private final Counter released;

  HeldRelease(
      Pipelines pipelines,
      TaskEraser eraser,
      TaskCleanupRepository audit,
      Clock clock,
      Settings settings,
      MeterRegistry registry) {
    this.pipelines = pipelines;
    this.eraser = eraser;
    this.audit = audit;
    this.clock = clock;
    this.retention = settings.retention();
    this.budget = settings.budget();
    this.released =
        Counter.builder("conveyor_patrol_released_total")
            .description(
                "finished tasks whose runtime data was released without the proof of delivery")
            .register(registry);
  }

  /**
   * @param retention {@code CONVEYOR_HELD_RETENTION}
   * @param budget tasks a round releases at most, of each kind
   */
  record Settings(Duration retention, int budget) {}

  /** Releases what is due; returns how many tasks. */
  int round(LeaseFence fence) {
    Instant now = clock.instant();
    Instant cutoff = now.minus(retention);
    String after = "released after " + Durations.format(retention) + " ";
    int n =
        release(
            fence,
            audit.heldSince(cutoff, budget),
            now,
            after + "held: ",
            "held below its tolerance");
    List<String> loaded = pipelines.all().stream().map(Pipeline::name).toList();
    n +=
        release(
            fence,
            audit.notLoaded(loaded, cutoff, budget),
            now,
            after + "finished, its pipeline not loaded: ",
            "its pipeline is not loaded");
    return n;
  }

  private int release(
      LeaseFence fence, List<Finished> due, Instant now, String detail, String reason) {
    Map<String, List<Finished>> byPipeline = new LinkedHashMap<>();
    due.forEach(
        f -> byPipeline.computeIfAbsent(f.pipeline(), k -> new java.util.ArrayList<>()).add(f));
    int n = 0;
    for (Map.Entry<String, List<Finished>> e : byPipeline.entrySet()) {
      int done = eraser.erase(fence, e.getKey(), e.getValue(), now, Optional.of(detail));
      if (done > 0) {
        released.increment(done);
        log.atWarn()
            .addKeyValue("event", "held_released")
            .addKeyValue("pipeline", e.getKey())
            .addKeyValue("tasks", done)
            .addKeyValue("reason", reason)
            .addKeyValue("after", Durations.format(retention))
            .log();
      }
      n += done;
    }
    return n;
  }
}
