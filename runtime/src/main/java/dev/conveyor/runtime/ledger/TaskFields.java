package dev.conveyor.runtime.ledger;

import java.util.List;
import java.util.Optional;

/**
 * The field names of a task's meta hash ({@link dev.conveyor.common.redis.Keys#taskMeta}), spelled
 * once for Java. The Lua scripts in {@code dev/conveyor/lua} cannot import them and spell them as
 * literals; {@code TaskFieldsTest} checks that every meta field a script uses is named here.
 */
public final class TaskFields {
  /** The task's pipeline; a meta without it is not a task's. */
  public static final String PIPELINE = "pipeline";

  /** The pipeline's version when the task was registered. */
  public static final String VERSION = "version";

  /** How many parts the dispatcher split the task into. */
  public static final String PARTS = "parts";

  /** The inbox entry that registered the task. */
  public static final String STREAM_ID = "stream_id";

  /** When the dispatcher received the task (epoch ms). */
  public static final String RECEIVED_AT = "received_at";

  /** {@code 1} once every part was put on the entry steps' queues. */
  public static final String DISPATCHED = "dispatched";

  /** The last time a step recorded an output or a dead item for the task (epoch ms). */
  public static final String PROGRESS_AT = "progress_at";

  /** How often patrol re-drove the task. */
  public static final String REDRIVES = "redrives";

  /** How often a replay re-opened the task. */
  public static final String REPLAYS = "replays";

  /**
   * When the task finished (epoch ms), as versions before 2026-12-07 noted it in the meta; read
   * only (a replay removes it). A task's audit row says that it finished.
   */
  public static final String FINISHED_AT = "finished_at";

  /** Prefix of {@code out:<step>}: the task has an output hash of that step (for cleanup). */
  public static final String OUTPUT_PREFIX = "out:";

  /** Every fixed field name, in the order above ({@link #OUTPUT_PREFIX} is not one). */
  public static final List<String> ALL =
      List.of(
          PIPELINE,
          VERSION,
          PARTS,
          STREAM_ID,
          RECEIVED_AT,
          DISPATCHED,
          PROGRESS_AT,
          REDRIVES,
          REPLAYS,
          FINISHED_AT);

  private TaskFields() {}

  /** The field {@code out:<step>}. */
  public static String output(String step) {
    return OUTPUT_PREFIX + step;
  }

  /** The step a field {@code out:<step>} names, or empty for any other field. */
  public static Optional<String> outputStep(String field) {
    return field.startsWith(OUTPUT_PREFIX)
        ? Optional.of(field.substring(OUTPUT_PREFIX.length()))
        : Optional.empty();
  }
}
