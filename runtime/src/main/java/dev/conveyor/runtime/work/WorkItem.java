package dev.conveyor.runtime.work;

import dev.conveyor.runtime.ledger.QueueItem;

/** An item with its input (the part's input, or its predecessor's output), as JSON text. */
public record WorkItem(QueueItem item, String input) {}
