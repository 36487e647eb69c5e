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
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The {@code merge} step of the {@code ner} pipeline: joins the recognisers' outputs of one part
 * ({@code {"company": {"entities": [...]}, "person": {"entities": [...]}}}, any number of
 * predecessors) into {@code {"entities": [...]}}, each entity with {@code "part"}, in text order.
 *
 * <p>Overlapping entities are resolved the same way every time: a company beats any other kind
 * ("Charles Schwab Corporation" is a company, not the person Charles Schwab), then the longer span
 * wins, then the earlier, then the kind name decides. An entity is kept when it overlaps no entity
 * kept before it in that order.
 */
public final class MergeEntities implements Step {
  /** The order in which overlapping entities win. */
  static final Comparator<Entity> PRECEDENCE =
      Comparator.comparingInt((Entity e) -> e.kind().equals(Entity.COMPANY) ? 0 : 1)
          .thenComparing(Comparator.comparingInt(Entity::length).reversed())
          .thenComparingInt(Entity::start)
          .thenComparing(Entity::kind)
          .thenComparingInt(Entity::end)
          .thenComparing(Entity::surface);

  static final Comparator<Entity> TEXT_ORDER =
      Comparator.comparingInt(Entity::start)
          .thenComparingInt(Entity::end)
          .thenComparing(Entity::kind)
          .thenComparing(Entity::surface);

  @Override
  public List<StepResult> process(List<StepInput> batch) {
    List<StepResult> results = new ArrayList<>(batch.size());
    for (StepInput in : batch) {
      try {
        results.add(StepResult.ok(output(merge(entitiesOf(in.input())), in.part())));
      } catch (IllegalArgumentException e) {
        results.add(StepResult.failed(e.getMessage()));
      }
    }
    return results;
  }

  /** The entities that survive overlap resolution, in text order. */
  static List<Entity> merge(List<Entity> all) {
    List<Entity> ranked = new ArrayList<>(all);
    ranked.sort(PRECEDENCE);
    List<Entity> kept = new ArrayList<>();
    for (Entity e : ranked) {
      if (kept.stream().noneMatch(e::overlaps)) {
        kept.add(e);
      }
    }
    kept.sort(TEXT_ORDER);
    return kept;
  }

  private static List<Entity> entitiesOf(JsonNode input) {
    if (input == null || !input.isObject()) {
      throw new IllegalArgumentException(
          "merge input must be an object of predecessor outputs, was " + kindOf(input));
    }
    List<Entity> all = new ArrayList<>();
    for (Map.Entry<String, JsonNode> output : input.properties()) {
      JsonNode entities = output.getValue().get("entities");
      if (entities == null || !entities.isArray()) {
        throw new IllegalArgumentException(
            "output of '" + output.getKey() + "' has no 'entities' array");
      }
      for (JsonNode e : entities) {
        all.add(Entity.fromJson(e));
      }
    }
    return all;
  }

  private static ObjectNode output(List<Entity> entities, int part) {
    ObjectNode out = JsonNodeFactory.instance.objectNode();
    ArrayNode array = out.putArray("entities");
    entities.forEach(e -> array.add(e.toJson().put("part", part)));
    return out;
  }

  static String kindOf(JsonNode node) {
    return node == null ? "nothing" : node.getNodeType().name().toLowerCase(Locale.ROOT);
  }
}
