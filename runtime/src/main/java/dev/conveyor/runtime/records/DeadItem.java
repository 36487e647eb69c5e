package dev.conveyor.runtime.records;

import java.time.Instant;

/**
 * An item whose step failed on it for the last time: a row of {@code conveyor.dead_items}.
 *
 * @param part the part number, or -1 for an item that stands for the whole task
 * @param payload the item's input (JSON), so it can be inspected and replayed
 */
public record DeadItem(
    String taskId,
    String pipeline,
    int part,
    String step,
    int attempts,
    String error,
    String payload,
    Instant failedAt) {}
