package dev.conveyor.common.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;

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
