package dev.conveyor.runtime.ledger;

import dev.conveyor.common.redis.StreamMessage;
import java.util.Map;
import java.util.Optional;

/**
 * One unit of work on a step queue: a part of a task, or the whole task for a task-scope step.
 *
 * @param part the part number, or {@link #TASK} for a task-scope step
 * @param entryId the queue entry that carried it (for acknowledgement); {@link #UNQUEUED} for an
 *     item a processor runs at once without a queue entry (a co-located step)
 * @param attempts how many times the step already failed on it
 */
public record QueueItem(String taskId, int part, String entryId, int attempts) {
  /** The part number of a task-scope item. */
  public static final int TASK = -1;

  /**
   * The field of an item that stands for the whole task ({@link #TASK}) in a task's output and dead
   * hashes; any other item's field is its part number.
   */
  public static final String WHOLE_TASK = "task";

  /** The entry id of an item that no queue entry carries. */
  public static final String UNQUEUED = "";

  static final String TASK_FIELD = "t";
  static final String PART_FIELD = "p";
  static final String ATTEMPTS_FIELD = "a";

  public QueueItem(String taskId, int part, String entryId) {
    this(taskId, part, entryId, 0);
  }

  /** An item that became ready and is run at once, without a queue entry. */
  public static QueueItem unqueued(String taskId, int part) {
    return new QueueItem(taskId, part, UNQUEUED, 0);
  }

  /** Whether a queue entry carried this item (else there is nothing to acknowledge). */
  public boolean queued() {
    return !entryId.equals(UNQUEUED);
  }

  /** The same item after one more failed attempt. */
  public QueueItem failedOnce() {
    return new QueueItem(taskId, part, entryId, attempts + 1);
  }

  /** The item as a retry-set member: the queue entry fields as JSON (for retry_due.lua). */
  String retryMember() {
    return "{\"t\":\"" + taskId + "\",\"p\":\"" + field() + "\",\"a\":" + attempts + "}";
  }

  /** The field name of this item's output in a step's output hash: the part number or "task". */
  public String field() {
    return fieldOf(part);
  }

  public static String fieldOf(int part) {
    return part == TASK ? WHOLE_TASK : Integer.toString(part);
  }

  /** The queue entry fields for a new item. */
  public static Map<String, String> fields(String taskId, int part) {
    return Map.of(TASK_FIELD, taskId, PART_FIELD, fieldOf(part));
  }

  /** The item a queue entry carries, or empty when the entry is not one (deleted or foreign). */
  public static Optional<QueueItem> from(StreamMessage m) {
    Optional<String> task = m.text(TASK_FIELD);
    Optional<String> part = m.text(PART_FIELD);
    if (task.isEmpty() || part.isEmpty()) {
      return Optional.empty();
    }
    try {
      int p = WHOLE_TASK.equals(part.get()) ? TASK : Integer.parseInt(part.get());
      int a = m.text(ATTEMPTS_FIELD).map(Integer::parseInt).orElse(0);
      return Optional.of(new QueueItem(task.get(), p, m.id(), a));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }
}
