package dev.conveyor.dispatcher;

import java.util.Collection;
import java.util.Set;

/** Which of these task ids finished before: they have a row in {@code task_audit}. */
@FunctionalInterface
interface FinishedTasks {
  Set<String> among(Collection<String> taskIds);
}
