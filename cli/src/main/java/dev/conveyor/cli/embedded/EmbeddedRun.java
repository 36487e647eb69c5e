package dev.conveyor.cli.embedded;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.StepDef;
import dev.conveyor.runtime.pipeline.StepKind;
import dev.conveyor.runtime.resource.MappedResource;
import dev.conveyor.runtime.resource.SharedResources;
import dev.conveyor.runtime.split.Splitter;
import dev.conveyor.runtime.step.StepContext;
import dev.conveyor.runtime.work.ItemResult;
import dev.conveyor.runtime.work.JavaStepWork;
import dev.conveyor.runtime.work.StepWork;
import dev.conveyor.runtime.work.WorkItem;
import dev.conveyor.runtime.work.command.CommandWork;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Runs a pipeline in one process with no Redis and no PostgreSQL: the same splitter, the same step
 * code (java and command steps), the same input shapes, joins, task-scope gathering, retries and
 * sink row mapping as the daemons, over tasks held in memory ({@link MemoryTasks}), step after step
 * in batches. What the sinks would deliver comes back as rows ({@link DeliveredRows}), sorted by
 * each sink's key — the reference that a distributed run must equal.
 */
public final class EmbeddedRun implements AutoCloseable {
  private final Pipeline pipeline;
  private final SharedResources resources;
  private final Map<String, StepWork> works = new LinkedHashMap<>();
  private final List<MappedResource> handles = new ArrayList<>();

  /** One task to run: its id and its payload. */
  public record Input(String taskId, ObjectNode payload) {}

  /** A task the pipeline's split rule could not take. */
  public record Unsplittable(String taskId, String reason) {}

  /** An item that failed its last attempt. */
  public record Dead(String taskId, int part, String step, String error) {}

  /** What a run delivered. */
  public record Result(List<ObjectNode> rows, List<Unsplittable> unsplittable, List<Dead> dead) {}

  public EmbeddedRun(Pipeline pipeline, SharedResources resources) {
    this.pipeline = pipeline;
    this.resources = resources;
  }

  /** Starts the step code; a step that cannot start is an error naming it. */
  public EmbeddedRun start() {
    for (StepDef step : pipeline.topologicalOrder()) {
      try {
        switch (step.kind()) {
          case JAVA -> {
            Map<String, StepContext.SharedResource> mine = new LinkedHashMap<>();
            for (String name : step.resources()) {
              MappedResource r = resources.acquire(name, pipeline.resources().get(name));
              handles.add(r);
              mine.put(name, r);
            }
            JavaStepWork java = new JavaStepWork(pipeline, step, mine);
            java.start();
            works.put(step.name(), java);
          }
          case COMMAND -> {
            CommandWork command = CommandWork.of(pipeline, step);
            command.start();
            works.put(step.name(), command);
          }
          case SINK -> {
            // rows are computed here; nothing to start
          }
        }
      } catch (RuntimeException e) {
        close();
        throw new IllegalStateException("step " + step.name() + ": " + e.getMessage(), e);
      }
    }
    return this;
  }

  public Result run(List<Input> tasks) {
    MemoryTasks state = new MemoryTasks(pipeline);
    List<Unsplittable> unsplittable = new ArrayList<>();
    for (Input in : tasks) {
      Optional<List<ObjectNode>> parts = Splitter.split(pipeline.split(), in.payload());
      if (parts.isEmpty()) {
        unsplittable.add(
            new Unsplittable(
                in.taskId(), "the payload has no string field '" + pipeline.split().field() + "'"));
        continue;
      }
      state.add(in.taskId(), parts.get().stream().map(ObjectNode::toString).toList());
    }
    DeliveredRows rows = new DeliveredRows(pipeline);
    List<Dead> dead = new ArrayList<>();
    for (StepDef step : pipeline.topologicalOrder()) {
      List<WorkItem> ready = state.ready(step);
      for (int from = 0; from < ready.size(); from += step.batch()) {
        List<WorkItem> batch = ready.subList(from, Math.min(ready.size(), from + step.batch()));
        runBatch(step, batch, state, rows, dead);
      }
    }
    return new Result(rows.sorted(), unsplittable, dead);
  }

  /** Runs a batch through a step, retrying failed items as the step's retry allows. */
  private void runBatch(
      StepDef step, List<WorkItem> batch, MemoryTasks state, DeliveredRows rows, List<Dead> dead) {
    List<WorkItem> pending = batch;
    for (int attempt = 1; attempt <= step.retry().attempts() && !pending.isEmpty(); attempt++) {
      List<ItemResult> results =
          step.kind() == StepKind.SINK
              ? rows.deliver(step, pending)
              : works.get(step.name()).process(pending);
      List<WorkItem> failed = new ArrayList<>();
      for (int i = 0; i < pending.size(); i++) {
        WorkItem w = pending.get(i);
        switch (results.get(i)) {
          case ItemResult.Output out -> state.output(step.name(), w.item(), out.value());
          case ItemResult.Failed f -> {
            if (attempt == step.retry().attempts()) {
              state.dead(w.item(), step.name() + ": " + f.error());
              dead.add(new Dead(w.item().taskId(), w.item().part(), step.name(), f.error()));
            } else {
              failed.add(w);
            }
          }
        }
      }
      pending = failed;
    }
  }

  @Override
  public void close() {
    works.values().forEach(StepWork::close);
    works.clear();
    handles.forEach(MappedResource::close);
    handles.clear();
  }
}
