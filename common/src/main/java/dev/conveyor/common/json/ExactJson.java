package dev.conveyor.common.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.CharBuffer;
import java.util.Map;

/**
 * The JSON mapper for content: what producers send and steps answer. Numbers are read exactly
 * ({@code 1e400} stays {@code 1E+400}, {@code 0.10000000000000000000001} keeps its digits, {@code
 * 10.0} stays {@code 10.0}) where a default mapper would read doubles and write {@code 1e400} as
 * the string {@code "Infinity"}; trailing data after the value is an error; NaN and infinities are
 * never written as strings (they would pass for text), so a step that makes one answers what is not
 * JSON.
 */
public final class ExactJson {
  private static final JsonMapper DEFAULT = mapper(StreamReadConstraints.DEFAULT_MAX_DEPTH);
  private static final StreamReadConstraints READ_LIMITS =
      DEFAULT.getFactory().streamReadConstraints();
  // why: a limit on tokens or characters would need the text; there is none by default
  private static final boolean TREE_WALKABLE =
      READ_LIMITS.getMaxTokenCount() <= 0 && READ_LIMITS.getMaxDocumentLength() <= 0;

  private ExactJson() {}

  /** The mapper with Jackson's default nesting limit (1000). */
  public static JsonMapper mapper() {
    return DEFAULT;
  }

  /**
   * Reads {@code json} with the default mapper.
   *
   * @throws JsonProcessingException if it is not JSON, or holds a number no BigDecimal holds (an
   *     exponent like {@code 1e99999999999999})
   */
  public static JsonNode read(String json) throws JsonProcessingException {
    try {
      return DEFAULT.readTree(json);
    } catch (NumberFormatException e) {
      throw new JsonParseException(null, "number out of range: " + e.getMessage());
    }
  }

  /**
   * Whether {@code json} is one JSON value the {@linkplain #read default mapper} reads and whose
   * content {@link UnstorableContent#find} finds nothing in — answered in one pass over the
   * parser's tokens, without building the tree. {@code false} says only that it is not; read it and
   * ask {@link UnstorableContent#find} to learn why.
   */
  public static boolean storable(String json) {
    try (JsonParser p = DEFAULT.getFactory().createParser(json)) {
      if (p.nextToken() == null || !storableTokens(p)) {
        return false;
      }
      return p.nextToken() == null; // why: trailing data after the value is not one value
    } catch (IOException | NumberFormatException e) {
      return false;
    }
  }

  /** Checks the value at the current token and everything in it, leaving the parser on its end. */
  private static boolean storableTokens(JsonParser p) throws IOException {
    int depth = 0;
    do {
      JsonToken t = p.currentToken();
      switch (t) {
        case START_OBJECT, START_ARRAY -> depth++;
        case END_OBJECT, END_ARRAY -> depth--;
        case FIELD_NAME, VALUE_STRING -> {
          CharSequence text =
              CharBuffer.wrap(p.getTextCharacters(), p.getTextOffset(), p.getTextLength());
          if (UnstorableContent.firstUnstorableChar(text) >= 0) {
            return false;
          }
        }
        case VALUE_NUMBER_FLOAT -> {
          if (!UnstorableContent.fitsNumeric(p.getDecimalValue())) {
            return false;
          }
        }
        case VALUE_NUMBER_INT -> {
          if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
              && !UnstorableContent.fitsNumeric(new BigDecimal(p.getBigIntegerValue()))) {
            return false;
          }
        }
        default -> {}
      }
    } while (depth > 0 && p.nextToken() != null);
    return depth == 0;
  }

  /**
   * Whether the text the {@linkplain #mapper() default mapper} writes of {@code tree} is one that
   * {@link #storable} accepts, answered from the tree without writing or reading any text: a step's
   * output is a tree before it is text. It answers {@code true} only for trees of objects, arrays,
   * strings, booleans, nulls and {@code int}/{@code long} numbers, with nothing {@link
   * UnstorableContent} would find and within the default mapper's read limits (nesting, string and
   * name lengths). {@code false} says only that this walk does not vouch for it (a decimal, a big
   * number, a double, a POJO, or near a limit); check the text with {@link #storable} then.
   */
  public static boolean storableTree(JsonNode tree) {
    return TREE_WALKABLE && tree != null && plain(tree, 0);
  }

  private static boolean plain(JsonNode node, int depth) {
    if (node.isContainerNode() && depth + 1 >= READ_LIMITS.getMaxNestingDepth()) {
      return false;
    }
    return switch (node.getNodeType()) {
      case STRING -> plainText(node.textValue(), READ_LIMITS.getMaxStringLength());
      case BOOLEAN, NULL -> true;
      case NUMBER -> node.isInt() || node.isLong() || node.isShort();
      case ARRAY -> {
        for (JsonNode element : node) {
          if (!plain(element, depth + 1)) {
            yield false;
          }
        }
        yield true;
      }
      case OBJECT -> {
        for (Map.Entry<String, JsonNode> member : node.properties()) {
          if (!plainText(member.getKey(), READ_LIMITS.getMaxNameLength())
              || !plain(member.getValue(), depth + 1)) {
            yield false;
          }
        }
        yield true;
      }
      case BINARY, POJO, MISSING -> false;
    };
  }

  private static boolean plainText(String s, int maxLength) {
    return s.length() < maxLength && UnstorableContent.firstUnstorableChar(s) < 0;
  }

  /** A mapper that refuses JSON nested deeper than {@code maxNesting}. */
  public static JsonMapper mapper(int maxNesting) {
    return JsonMapper.builder(
            JsonFactory.builder()
                .streamReadConstraints(
                    StreamReadConstraints.builder().maxNestingDepth(maxNesting).build())
                .build())
        .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
        .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
        // why: '{"a":1} x' is not a JSON object; without this the tail would be dropped
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        .disable(JsonWriteFeature.WRITE_NAN_AS_STRINGS)
        .build();
  }
}
