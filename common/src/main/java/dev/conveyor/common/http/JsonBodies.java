package dev.conveyor.common.http;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import java.io.IOException;
import java.time.temporal.TemporalAccessor;
import java.time.temporal.TemporalAmount;
import java.util.Optional;

/**
 * The JSON writer behind {@link HttpResponse#json}, and behind the CLI's {@code --json} so that it
 * prints what the HTTP routes answer.
 */
public final class JsonBodies {
  // why: jackson-datatype-jsr310 and -jdk8 are not on the classpath; status objects only need
  // java.time values as ISO strings and Optional as value-or-null, which these few lines give.
  private static final ObjectMapper MAPPER =
      JsonMapper.builder()
          .addModule(
              new SimpleModule("conveyor-http")
                  .addSerializer(TemporalAccessor.class, ToStringSerializer.instance)
                  .addSerializer(TemporalAmount.class, ToStringSerializer.instance)
                  .addSerializer(new OptionalSerializer()))
          .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
          .build();

  private JsonBodies() {}

  /** {@code value} as UTF-8 JSON: maps, lists, records, java.time values as ISO-8601 strings. */
  public static byte[] write(Object value) {
    try {
      return MAPPER.writeValueAsBytes(value);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("cannot write " + typeOf(value) + " as JSON", e);
    }
  }

  private static String typeOf(Object value) {
    return value == null ? "null" : value.getClass().getName();
  }

  /** {@code Optional.empty()} as {@code null}, otherwise the value itself. */
  private static final class OptionalSerializer extends StdSerializer<Optional<?>> {
    private static final long serialVersionUID = 1L;

    OptionalSerializer() {
      super(Optional.class, false);
    }

    @Override
    public void serialize(Optional<?> value, JsonGenerator json, SerializerProvider provider)
        throws IOException {
      if (value.isPresent()) {
        provider.defaultSerializeValue(value.get(), json);
      } else {
        json.writeNull();
      }
    }
  }
}
