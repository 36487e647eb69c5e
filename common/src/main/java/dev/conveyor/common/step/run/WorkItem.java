package dev.conveyor.common.step.run;

import dev.conveyor.common.task.QueueItem;

/** An item with its input (the part's input, or its predecessor's output), as JSON text. */
public record WorkItem(QueueItem item, String input) {}
