package dev.conveyor.runtime.records;

import dev.conveyor.common.config.Env;
import java.time.Duration;

/**
 * How long PostgreSQL keeps Conveyor's own rows, so that nothing grows for ever: patrol deletes
 * older rows in batches every round, and {@code conveyor prune} does the same on demand.
 *
 * @param dedupeWindow a cleaned task's {@code task_audit} row is kept this long after the task
 *     finished ({@code CONVEYOR_DEDUPE_WINDOW}); a message whose id comes again within it is a
 *     duplicate, after it the message is processed again. Rows of tasks with dead items stay while
 *     the dead items do.
 * @param deadRetention {@code dead_items} rows, and the snapshots replay needs, are kept this long
 *     after the item died ({@code CONVEYOR_DEAD_RETENTION})
 * @param rejectedRetention {@code rejected_messages} rows are kept this long after they were
 *     received ({@code CONVEYOR_REJECTED_RETENTION})
 */
public record RetentionConfig(
    Duration dedupeWindow, Duration deadRetention, Duration rejectedRetention) {
  public static final Duration DEFAULT = Duration.ofDays(30);

  /** The least any retention may be; what the soak runs with. */
  static final Duration MIN = Duration.ofSeconds(1);

  public static RetentionConfig from(Env env) {
    return new RetentionConfig(
        env.duration("CONVEYOR_DEDUPE_WINDOW", DEFAULT, MIN),
        env.duration("CONVEYOR_DEAD_RETENTION", DEFAULT, MIN),
        env.duration("CONVEYOR_REJECTED_RETENTION", DEFAULT, MIN));
  }
}
