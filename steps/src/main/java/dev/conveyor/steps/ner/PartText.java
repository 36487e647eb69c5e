package dev.conveyor.steps.ner;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The input of an entry step: a part of a text split ({@code {"text": ..., "offset": ...}}), or a
 * payload with a {@code text} and no offset (a pipeline without split), which counts from 0.
 *
 * @param offset the code-point offset of {@code text} in the task's whole text
 */
record PartText(String text, int offset) {

  /**
   * @throws IllegalArgumentException when there is no string {@code text} or the offset is not a
   *     non-negative integer
   */
  static PartText of(JsonNode input) {
    JsonNode text = input == null ? null : input.get("text");
    if (text == null || !text.isTextual()) {
      throw new IllegalArgumentException("input has no string 'text'");
    }
    JsonNode offset = input.get("offset");
    if (offset == null || offset.isNull()) {
      return new PartText(text.textValue(), 0);
    }
    if (!offset.isIntegralNumber() || !offset.canConvertToInt() || offset.intValue() < 0) {
      throw new IllegalArgumentException("'offset' must be a non-negative integer, was " + offset);
    }
    return new PartText(text.textValue(), offset.intValue());
  }
}
