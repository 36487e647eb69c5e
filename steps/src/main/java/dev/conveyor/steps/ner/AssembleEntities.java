package dev.conveyor.steps.ner;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conveyor.runtime.step.Step;
import dev.conveyor.runtime.step.StepInput;
import dev.conveyor.runtime.step.StepResult;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code assemble} step of the {@code ner} pipeline ({@code scope: task}): gathers the merged
 * entities of every part that is not dead ({@code {"parts": n, "dead": [...], "outputs": {"merge":
 * {"0": {"entities": [...]}, ...}}}}) into the rows of {@code conveyor.ner_entities}: {@code
 * {"rows": [{"kind", "surface", "start_offset", "end_offset", "part"}, ...]}}, one row per (kind,
 * start_offset), sorted by kind, then start_offset. The sink fills in {@code task_id}.
 *
 * <p>Of two entities with the same kind and start (a part delivered twice, overlapping parts), the
 * longer is kept, then the one of the lower part. An entity without {@code part} takes the part it
 * is listed under.
 */
public final class AssembleEntities implements Step {
  private record Found(Entity entity, int part) {}

  private static final Comparator<Found> ROW_ORDER =
      Comparator.comparing((Found f) -> f.entity().kind())
          .thenComparingInt(f -> f.entity().start())
          .thenComparing(Comparator.comparingInt((Found f) -> f.entity().end()).reversed())
          .thenComparingInt(Found::part)
          .thenComparing(f -> f.entity().surface());

  @Override
  public List<StepResult> process(List<StepInput> batch) {
    List<StepResult> results = new ArrayList<>(batch.size());
    for (StepInput in : batch) {
      try {
        results.add(StepResult.ok(rows(in.input())));
      } catch (IllegalArgumentException e) {
        results.add(StepResult.failed(e.getMessage()));
      }
    }
    return results;
  }

  static ObjectNode rows(JsonNode input) {
    if (input == null || !input.isObject() || !input.path("outputs").isObject()) {
      throw new IllegalArgumentException(
          "assemble input must be an object with 'outputs', was " + MergeEntities.kindOf(input));
    }
    Set<Integer> dead = new HashSet<>();
    for (JsonNode part : input.path("dead")) {
      if (!part.isIntegralNumber()) {
        throw new IllegalArgumentException("'dead' must hold part numbers, found " + part);
      }
      dead.add(part.intValue());
    }
    List<Found> found = new ArrayList<>();
    for (Map.Entry<String, JsonNode> step : input.get("outputs").properties()) {
      if (!step.getValue().isObject()) {
        throw new IllegalArgumentException("outputs of '" + step.getKey() + "' are not an object");
      }
      for (Map.Entry<String, JsonNode> partOutput : step.getValue().properties()) {
        int part = partNumber(step.getKey(), partOutput.getKey());
        if (dead.contains(part)) {
          continue;
        }
        JsonNode entities = partOutput.getValue().path("entities");
        if (!entities.isArray()) {
          throw new IllegalArgumentException(
              "output of '" + step.getKey() + "' for part " + part + " has no 'entities' array");
        }
        for (JsonNode e : entities) {
          JsonNode own = e.get("part");
          found.add(
              new Found(Entity.fromJson(e), own != null && own.isInt() ? own.intValue() : part));
        }
      }
    }
    found.sort(ROW_ORDER);
    ObjectNode out = JsonNodeFactory.instance.objectNode();
    ArrayNode rows = out.putArray("rows");
    Found previous = null;
    for (Found f : found) {
      if (previous != null
          && previous.entity().kind().equals(f.entity().kind())
          && previous.entity().start() == f.entity().start()) {
        continue;
      }
      rows.addObject()
          .put("kind", f.entity().kind())
          .put("surface", f.entity().surface())
          .put("start_offset", f.entity().start())
          .put("end_offset", f.entity().end())
          .put("part", f.part());
      previous = f;
    }
    return out;
  }

  private static int partNumber(String step, String key) {
    try {
      return Integer.parseInt(key);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "outputs of '" + step + "' must be keyed by part number, found '" + key + "'", e);
    }
  }
}
