package dev.conveyor.runtime.split;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conveyor.runtime.pipeline.SplitRule;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Splits a task's payload into parts by its pipeline's rule. {@code none}: one part, the payload.
 * {@code text}: the text field cut into parts of at most {@code max_chars} UTF-16 units, at the
 * last paragraph break, else sentence end, else whitespace inside the window; never inside a
 * surrogate pair, and inside a word only when a single word is longer than the window. Parts
 * concatenate back to the text exactly; each carries its offset in the whole text in code points,
 * so later steps can report offsets in the whole document.
 */
public final class Splitter {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private Splitter() {}

  /** The parts' inputs as JSON objects, or empty when the payload does not fit the rule. */
  public static Optional<List<ObjectNode>> split(SplitRule rule, ObjectNode payload) {
    if (rule.mode() == SplitRule.Mode.NONE) {
      return Optional.of(List.of(payload));
    }
    JsonNode text = payload.get(rule.field());
    if (text == null || !text.isTextual()) {
      return Optional.empty();
    }
    List<ObjectNode> parts = new ArrayList<>();
    String s = text.textValue();
    int codePointOffset = 0;
    for (String slice : cut(s, rule.maxChars())) {
      ObjectNode part = NODES.objectNode();
      part.put("text", slice);
      part.put("offset", codePointOffset);
      parts.add(part);
      codePointOffset += slice.codePointCount(0, slice.length());
    }
    if (parts.isEmpty()) {
      ObjectNode only = NODES.objectNode();
      only.put("text", "");
      only.put("offset", 0);
      parts.add(only);
    }
    return Optional.of(parts);
  }

  static List<String> cut(String s, int max) {
    List<String> slices = new ArrayList<>();
    int start = 0;
    while (start < s.length()) {
      int end = s.length() - start <= max ? s.length() : boundary(s, start, start + max);
      slices.add(s.substring(start, end));
      start = end;
    }
    return slices;
  }

  /** The best cut in (start, limit]: paragraph, sentence, whitespace, else a safe char. */
  private static int boundary(String s, int start, int limit) {
    int paragraph = -1;
    int sentence = -1;
    int space = -1;
    for (int i = start + 1; i <= limit; i++) {
      char prev = s.charAt(i - 1);
      if (prev == '\n' && i - 2 >= start && s.charAt(i - 2) == '\n') {
        paragraph = i;
      }
      if (isFullStopWithoutSpace(prev)) {
        sentence = i;
      } else if (Character.isWhitespace(prev)) {
        space = i;
        if (i - 2 >= start && isSentenceEnd(s.charAt(i - 2))) {
          sentence = i;
        }
      }
    }
    int best = paragraph > start ? paragraph : sentence > start ? sentence : space;
    if (best > start) {
      return best;
    }
    // why: one word longer than the window; cut it, but never between a surrogate pair
    return Character.isLowSurrogate(s.charAt(limit)) ? limit - 1 : limit;
  }

  private static boolean isSentenceEnd(char c) {
    return c == '.' || c == '!' || c == '?' || c == '…';
  }

  /** Sentence ends of scripts written without spaces (CJK). */
  private static boolean isFullStopWithoutSpace(char c) {
    return c == '。' || c == '！' || c == '？' || c == '．';
  }
}
