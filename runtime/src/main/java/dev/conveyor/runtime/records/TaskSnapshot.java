package dev.conveyor.runtime.records;

/**
 * A row of {@code conveyor.task_snapshots}: every hash of a task as Redis held it when patrol
 * deleted its runtime data, so that a replay of its dead items can bring it back.
 *
 * @param data JSON: {@code {"meta": {...}, "parts": {...}, "dead": {...}, "outputs": {"<step>":
 *     {...}}}}, every value the string Redis held
 */
public record TaskSnapshot(String taskId, String pipeline, String data) {}
