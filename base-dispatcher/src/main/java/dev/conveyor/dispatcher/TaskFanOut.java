package dev.conveyor.dispatcher;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conveyor.common.pipeline.Pipeline;
import dev.conveyor.common.pipeline.StepDef;
import dev.conveyor.common.task.RegisterOutcome;
import dev.conveyor.common.task.TaskStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Registers an accepted task with its parts and fans every part out to every entry step of its
 * pipeline. Safe to repeat after a crash at any point: registration happens once, a repeated
 * enqueue is harmless downstream, and the task is marked dispatched only after all its parts were
 * enqueued.
 */
public final class TaskFanOut {
  private final TaskStore tasks;

  public TaskFanOut(TaskStore tasks) {
    this.tasks = tasks;
  }

  /** What happened to the message; the caller acknowledges it after this returns. */
  public RegisterOutcome dispatch(InboundMessage message, List<ObjectNode> parts) {
    Pipeline pipeline = message.pipeline();
    List<String> inputs = parts.stream().map(ObjectNode::toString).toList();
    RegisterOutcome outcome =
        tasks.register(
            message.taskId(), pipeline, message.streamId(), message.receivedAt(), inputs);
    if (outcome == RegisterOutcome.NEW || outcome == RegisterOutcome.RESUME) {
      tasks.addInflight(pipeline.name(), message.taskId(), message.receivedAt());
      List<Map.Entry<String, Integer>> items = new ArrayList<>(parts.size());
      for (int part = 0; part < parts.size(); part++) {
        items.add(Map.entry(message.taskId(), part));
      }
      for (StepDef entry : pipeline.entrySteps()) {
        tasks.enqueue(pipeline, entry, items);
      }
      tasks.markDispatched(message.taskId());
    }
    return outcome;
  }
}
