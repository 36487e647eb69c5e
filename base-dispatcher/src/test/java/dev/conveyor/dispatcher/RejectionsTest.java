package dev.conveyor.dispatcher;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.common.json.StoredJson;
import dev.conveyor.common.redis.StreamMessage;
import java.util.Arrays;
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
  void aFieldNameContainingNulIsStoredAsBase64OfItsBytes() throws Exception {
    Map<String, byte[]> fields = new LinkedHashMap<>();
    fields.put("pipe\u0000line", utf8("ner"));

    JsonNode json = fieldsJson(fields);

    String stored = "base64:" + Base64.getEncoder().encodeToString(utf8("pipe\u0000line"));
    assertThat(json.properties().stream().map(Map.Entry::getKey).toList()).containsExactly(stored);
    assertThat(json.get(stored).textValue()).isEqualTo("ner");
  }

  @Test
  void aFieldNameLongerThanTheLimitIsStoredAsItsHash() throws Exception {
    String longName = "n".repeat(Rejections.MAX_NAME_BYTES + 1);

    JsonNode json = fieldsJson(Map.of(longName, utf8("v")));

    assertThat(json.properties().stream().map(Map.Entry::getKey).toList())
        .containsExactly("truncated:" + StoredJson.sha256(utf8(longName)));
  }

  @Test
  void valuesBeyondTheEntryBudgetAreStoredTruncatedWithSizeHashAndHead() throws Exception {
    Map<String, byte[]> fields = new LinkedHashMap<>();
    fields.put("pipeline", utf8("ner"));
    byte[] big = utf8("{\"text\":\"" + "ü".repeat(3000) + "\"}");
    fields.put("payload", big);
    fields.put("after", utf8("small"));

    JsonNode json = JSON.readTree(Rejections.fieldsJson(new StreamMessage("1-0", fields), 100, 64));

    assertThat(json.get("pipeline").textValue()).isEqualTo("ner");
    JsonNode payload = json.get("payload");
    assertThat(payload.get("truncated").booleanValue()).isTrue();
    assertThat(payload.get("bytes").longValue()).isEqualTo(big.length);
    assertThat(payload.get("sha256").textValue()).isEqualTo(StoredJson.sha256(big));
    assertThat(payload.get("head").textValue())
        .startsWith("{\"text\":\"üü")
        .hasSizeLessThanOrEqualTo(Rejections.HEAD_BYTES);
    assertThat(json.get("after").textValue()).as("later small values still fit").isEqualTo("small");
  }

  @Test
  void aTruncatedValueThatIsNotTextKeepsItsHeadAsBase64() throws Exception {
    byte[] junk = new byte[5000];
    Arrays.fill(junk, (byte) 0xFF);

    JsonNode json =
        JSON.readTree(Rejections.fieldsJson(new StreamMessage("1-0", Map.of("p", junk)), 10, 64));

    assertThat(Base64.getDecoder().decode(json.get("p").get("head_base64").textValue()))
        .hasSize(Rejections.HEAD_BYTES);
  }

  @Test
  void onlyTheFirstFieldsUpToTheLimitAreStored() throws Exception {
    Map<String, byte[]> fields = new LinkedHashMap<>();
    for (int i = 0; i < 10_000; i++) {
      fields.put("f" + i, utf8("v" + i));
    }

    JsonNode json =
        JSON.readTree(Rejections.fieldsJson(new StreamMessage("1-0", fields), 1 << 20, 64));

    assertThat(json.size()).isEqualTo(64);
    assertThat(json.get("f63").textValue()).isEqualTo("v63");
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
    String json = Rejections.fieldsJson(new StreamMessage("1-0", fields), 1 << 20, 64);
    return JSON.readTree(json);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(UTF_8);
  }
}
