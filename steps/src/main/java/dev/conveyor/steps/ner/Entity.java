package dev.conveyor.steps.ner;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Objects;

/**
 * A name found in a text.
 *
 * @param kind {@code company} or {@code person}
 * @param surface the name as written
 * @param start its first code point, counted in the task's whole text
 * @param end one past its last code point
 */
public record Entity(String kind, String surface, int start, int end) {
  public static final String COMPANY = "company";
  public static final String PERSON = "person";

  public Entity {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(surface, "surface");
    if (start < 0 || end <= start) {
      throw new IllegalArgumentException("bad span [" + start + ", " + end + ")");
    }
  }

  /** The number of code points the entity covers. */
  public int length() {
    return end - start;
  }

  /** Whether the two share at least one code point. */
  public boolean overlaps(Entity other) {
    return start < other.end && other.start < end;
  }

  /** {@code {"kind", "surface", "start", "end"}}, the recognisers' output shape. */
  public ObjectNode toJson() {
    return JsonNodeFactory.instance
        .objectNode()
        .put("kind", kind)
        .put("surface", surface)
        .put("start", start)
        .put("end", end);
  }

  /**
   * Reads the recognisers' output shape.
   *
   * @throws IllegalArgumentException naming what is missing or wrong
   */
  public static Entity fromJson(JsonNode node) {
    if (node == null || !node.isObject()) {
      throw new IllegalArgumentException("an entity must be an object, was " + node);
    }
    JsonNode kind = node.get("kind");
    JsonNode surface = node.get("surface");
    JsonNode start = node.get("start");
    JsonNode end = node.get("end");
    if (kind == null || !kind.isTextual() || surface == null || !surface.isTextual()) {
      throw new IllegalArgumentException("an entity needs text 'kind' and 'surface': " + node);
    }
    if (start == null || !start.canConvertToInt() || !start.isIntegralNumber()) {
      throw new IllegalArgumentException("an entity needs an integer 'start': " + node);
    }
    if (end == null || !end.canConvertToInt() || !end.isIntegralNumber()) {
      throw new IllegalArgumentException("an entity needs an integer 'end': " + node);
    }
    return new Entity(kind.textValue(), surface.textValue(), start.intValue(), end.intValue());
  }
}
