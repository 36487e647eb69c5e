package dev.conveyor.dispatcher;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.common.redis.StreamMessage;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RejectionsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void everyFieldIsKeptInTheOrderReceived() throws Exception {
    Map<String, byte[]> fields = new LinkedHashMap<>();
    fields.put("pipeline", utf8("nerd"));
    fields.put("id", utf8("doc-42"));
    fields.put("payload", utf8("{\"text\":\"Acme\"}"));
    fields.put("trace", utf8(""));
    fields.put("zzz", utf8("last"));

    JsonNode json = fieldsJson(fields);

    assertThat(json.properties().stream().map(Map.Entry::getKey).toList())
        .containsExactly("pipeline", "id", "payload", "trace", "zzz");
    assertThat(json.get("pipeline").textValue()).isEqualTo("nerd");
    assertThat(json.get("id").textValue()).isEqualTo("doc-42");
    assertThat(json.get("payload").textValue())
        .as("the payload is kept as the text received, not parsed")
        .isEqualTo("{\"text\":\"Acme\"}");
    assertThat(json.get("trace").textValue()).isEmpty();
    assertThat(json.get("zzz").textValue()).isEqualTo("last");
  }

  @Test
  void validUtf8IsStoredAsAString() throws Exception {
    String multilingual = "Grüße aus München. 東京タワー。北京是首都！ 👩‍👩‍👧‍👦🙂 \"quoted\" \\ \n\t";

    JsonNode json = fieldsJson(Map.of("payload", utf8(multilingual)));

    assertThat(json.get("payload").isTextual()).isTrue();
    assertThat(json.get("payload").textValue()).isEqualTo(multilingual);
  }

  @Test
  void invalidUtf8IsStoredAsBase64OfTheExactBytes() throws Exception {
    List<byte[]> values =
        List.of(
            new byte[] {(byte) 0xFF, (byte) 0xFE, 0x41},
            new byte[] {'{', '"', 'a', '"', ':', '"', (byte) 0xC3, '"', '}'},
            new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, // an encoded lone surrogate
            new byte[] {(byte) 0xC0, (byte) 0x80}, // an overlong NUL
            new byte[] {(byte) 0xF0, (byte) 0x9F, (byte) 0x99}); // an emoji cut short
    for (byte[] value : values) {
      JsonNode json = fieldsJson(Map.of("payload", value));

      assertThat(json.get("payload").isObject()).isTrue();
      assertThat(json.get("payload").properties()).hasSize(1);
      assertThat(Base64.getDecoder().decode(json.get("payload").get("base64").textValue()))
          .isEqualTo(value);
    }
  }

  @Test
  void aStringContainingNulIsStoredAsBase64OfTheExactBytes() throws Exception {
    byte[] value = utf8("before\u0000after 🙂");

    JsonNode json = fieldsJson(Map.of("id", value));

    assertThat(Base64.getDecoder().decode(json.get("id").get("base64").textValue()))
        .isEqualTo(value);
  }

  @Test
  void aFieldNameContainingNulIsKeptWithNulWrittenAsText() throws Exception {
    Map<String, byte[]> fields = new LinkedHashMap<>();
    fields.put("pipe\u0000line", utf8("ner"));

    JsonNode json = fieldsJson(fields);

    assertThat(json.properties().stream().map(Map.Entry::getKey).toList())
        .containsExactly("pipe\\u0000line");
    assertThat(json.get("pipe\\u0000line").textValue()).isEqualTo("ner");
    assertThat(Rejections.fieldsJson(new StreamMessage("1-0", fields)))
        .as("a JSON backslash, not the JSON escape of U+0000 that jsonb refuses")
        .contains("pipe\\\\u0000line");
  }

  @Test
  void anEmptyByteArrayIsAnEmptyString() throws Exception {
    assertThat(fieldsJson(Map.of("payload", new byte[0])).get("payload").textValue()).isEmpty();
  }

  @Test
  void textAndBinaryFieldsMixInOneEntry() throws Exception {
    Map<String, byte[]> fields = new LinkedHashMap<>();
    fields.put("pipeline", utf8("ner"));
    fields.put("payload", new byte[] {(byte) 0x80, 0x00, 0x7F});

    JsonNode json = fieldsJson(fields);

    assertThat(json.get("pipeline").textValue()).isEqualTo("ner");
    assertThat(Base64.getDecoder().decode(json.get("payload").get("base64").textValue()))
        .containsExactly(0x80, 0x00, 0x7F);
  }

  private static JsonNode fieldsJson(Map<String, byte[]> fields) throws Exception {
    String json = Rejections.fieldsJson(new StreamMessage("1-0", fields));
    return JSON.readTree(json);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(UTF_8);
  }
}
