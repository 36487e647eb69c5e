package dev.conveyor.dispatcher;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNoException;

import dev.conveyor.common.redis.StreamMessage;
import dev.conveyor.runtime.pipeline.PipelineLoader;
import dev.conveyor.runtime.pipeline.Pipelines;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MessageValidatorTest {
  private static final int LIMIT = 1024;
  private static final String ENTRY_ID = "1767225600123-7";
  private static final String OBJECT = "{\"text\":\"Acme Widgets Ltd. hired Jane Smith.\"}";

  private static final Pipelines PIPELINES =
      Pipelines.of(
          List.of(
              PipelineLoader.parse(
                  """
                  pipeline: ner
                  version: 2
                  steps:
                    - name: deliver
                      kind: sink
                      sink:
                        table: conveyor.echo_rows
                        key: [task_id, part]
                  """,
                  "ner.yaml")));

  private final MessageValidator validator = new MessageValidator(PIPELINES, LIMIT);

  @Test
  void anEntryWithoutFieldsIsRejected() {
    assertThat(reasonOf(new StreamMessage(ENTRY_ID, Map.of()))).isEqualTo(RejectReason.NO_FIELDS);
  }

  @Test
  void anEntryWithoutPipelineIsRejected() {
    assertThat(reasonOf(entry("payload", OBJECT))).isEqualTo(RejectReason.MISSING_PIPELINE);
    assertThat(reasonOf(entry("pipeline", "  ", "payload", OBJECT)))
        .as("a blank pipeline is no pipeline")
        .isEqualTo(RejectReason.MISSING_PIPELINE);
  }

  @Test
  void anEntryNamingAPipelineThatIsNotLoadedIsRejected() {
    Verdict.Rejected r = rejected(entry("pipeline", "nerd", "payload", OBJECT));

    assertThat(r.reason()).isEqualTo(RejectReason.UNKNOWN_PIPELINE);
    assertThat(r.detail()).contains("nerd").contains("ner");
  }

  @Test
  void anEntryWithoutPayloadIsRejected() {
    assertThat(reasonOf(entry("pipeline", "ner", "id", "doc-1")))
        .isEqualTo(RejectReason.MISSING_PAYLOAD);
  }

  @Test
  void aPayloadOverTheByteLimitIsRejectedAndOneAtTheLimitIsAccepted() {
    String atLimit = objectOfBytes(LIMIT);
    String overLimit = objectOfBytes(LIMIT + 1);

    assertThat(validator.check(entry("pipeline", "ner", "payload", atLimit)))
        .isInstanceOf(Verdict.Accepted.class);
    Verdict.Rejected r = rejected(entry("pipeline", "ner", "payload", overLimit));
    assertThat(r.reason()).isEqualTo(RejectReason.PAYLOAD_TOO_LARGE);
    assertThat(r.detail()).contains(Integer.toString(LIMIT + 1)).contains(Integer.toString(LIMIT));
  }

  @Test
  void theByteLimitCountsUtf8BytesNotCharacters() {
    // "ä" is two bytes in UTF-8: the text is under the limit in characters, over it in bytes
    String umlauts = "{\"t\":\"" + "ä".repeat(LIMIT / 2) + "\"}";
    assertThat(umlauts.length()).isLessThan(LIMIT);

    assertThat(reasonOf(entry("pipeline", "ner", "payload", umlauts)))
        .isEqualTo(RejectReason.PAYLOAD_TOO_LARGE);
  }

  @ParameterizedTest
  @ValueSource(strings = {"{", "{\"a\":}", "not json", "{'a':1}", "{\"a\":1,}", "", "   "})
  void aPayloadThatIsNotJsonIsRejected(String payload) {
    assertThat(reasonOf(entry("pipeline", "ner", "payload", payload)))
        .isEqualTo(RejectReason.PAYLOAD_NOT_JSON);
  }

  @ParameterizedTest
  @ValueSource(strings = {"{\"a\":1} x", "{\"a\":1}{\"b\":2}", "{\"a\":1} [2]"})
  void aPayloadWithDataAfterTheObjectIsRejectedNotTruncated(String payload) {
    assertThat(reasonOf(entry("pipeline", "ner", "payload", payload)))
        .isEqualTo(RejectReason.PAYLOAD_NOT_JSON);
  }

  @ParameterizedTest
  @ValueSource(strings = {"[1,2]", "[]", "\"text\"", "42", "-1.5", "true", "null"})
  void aPayloadThatIsJsonButNotAnObjectIsRejected(String payload) {
    Verdict.Rejected r = rejected(entry("pipeline", "ner", "payload", payload));

    assertThat(r.reason()).isEqualTo(RejectReason.PAYLOAD_NOT_OBJECT);
    assertThat(r.detail()).startsWith("payload must be a JSON object, was ");
  }

  @Test
  void aPayloadNestedDeeperThanTheLimitIsRejectedAndOneAtTheLimitIsAccepted() {
    MessageValidator roomy = new MessageValidator(PIPELINES, 1 << 20);

    assertThat(
            roomy.check(entry("pipeline", "ner", "payload", nested(MessageValidator.MAX_NESTING))))
        .isInstanceOf(Verdict.Accepted.class);
    Verdict.Rejected r =
        rejected(
            roomy, entry("pipeline", "ner", "payload", nested(MessageValidator.MAX_NESTING + 1)));
    assertThat(r.reason()).isEqualTo(RejectReason.PAYLOAD_TOO_DEEP);
    assertThat(
            reasonOf(
                roomy,
                entry("pipeline", "ner", "payload", "[".repeat(100_000) + "]".repeat(100_000))))
        .as("far too deep arrays are rejected without a stack overflow")
        .isEqualTo(RejectReason.PAYLOAD_TOO_DEEP);
  }

  @Test
  void aNumberTooLongForTheParserIsRejectedAsTooLargeNotTooDeep() {
    MessageValidator roomy = new MessageValidator(PIPELINES, 1 << 20);
    String hugeNumber = "{\"n\":" + "9".repeat(5_000) + "}";

    Verdict.Rejected r = rejected(roomy, entry("pipeline", "ner", "payload", hugeNumber));

    assertThat(r.reason()).isEqualTo(RejectReason.PAYLOAD_TOO_LARGE);
    assertThat(r.detail()).contains("Number value length (5000)");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"", "doc 42", "doc/42", "doc#42", "dök-42", "doc-42\n", "{doc-42}", "doc\u000042"})
  void aMalformedIdIsRejected(String id) {
    Verdict.Rejected r = rejected(entry("pipeline", "ner", "id", id, "payload", OBJECT));

    assertThat(r.reason()).isEqualTo(RejectReason.BAD_ID);
  }

  @Test
  void anIdOfAtMost128CharactersIsAcceptedAndALongerOneRejected() {
    String longest = "a".repeat(128);

    assertThat(accepted(entry("pipeline", "ner", "id", longest, "payload", OBJECT)).taskId())
        .isEqualTo(longest);
    assertThat(reasonOf(entry("pipeline", "ner", "id", longest + "b", "payload", OBJECT)))
        .isEqualTo(RejectReason.BAD_ID);
  }

  @Test
  void anIdThatIsNotUtf8IsRejected() {
    Map<String, byte[]> fields = fields("pipeline", "ner", "payload", OBJECT);
    fields.put("id", new byte[] {'d', 'o', 'c', (byte) 0xC3});

    assertThat(reasonOf(new StreamMessage(ENTRY_ID, fields))).isEqualTo(RejectReason.BAD_ID);
  }

  @Test
  void everyCharacterTheContractAllowsIsAcceptedInAnId() {
    String id = "ABCXYZ-abcxyz_0123456789.:-";

    assertThat(accepted(entry("pipeline", "ner", "id", id, "payload", OBJECT)).taskId())
        .isEqualTo(id);
  }

  @Test
  void anAcceptedEntryWithoutIdTakesTheStreamEntryIdAsTaskId() {
    InboundMessage m = accepted(entry("pipeline", "ner", "payload", OBJECT));

    assertThat(m.taskId()).isEqualTo(ENTRY_ID);
    assertThat(m.streamId()).isEqualTo(ENTRY_ID);
    assertThat(m.pipeline().name()).isEqualTo("ner");
    assertThat(m.pipeline().version()).isEqualTo(2);
    assertThat(m.payload().get("text").textValue())
        .isEqualTo("Acme Widgets Ltd. hired Jane Smith.");
  }

  @Test
  void anAcceptedEntryWithIdUsesIt() {
    InboundMessage m = accepted(entry("pipeline", "ner", "id", "doc-42", "payload", OBJECT));

    assertThat(m.taskId()).isEqualTo("doc-42");
    assertThat(m.streamId()).isEqualTo(ENTRY_ID);
  }

  @Test
  void receivedAtIsTheMillisecondsOfTheStreamEntryId() {
    InboundMessage m = accepted(entry("pipeline", "ner", "payload", OBJECT));

    assertThat(m.receivedAt()).isEqualTo(Instant.ofEpochMilli(1_767_225_600_123L));
  }

  @Test
  void extraFieldsDoNotStopAnEntryFromBeingAccepted() {
    InboundMessage m =
        accepted(entry("pipeline", "ner", "payload", OBJECT, "trace", "abc", "source", "crm"));

    assertThat(m.taskId()).isEqualTo(ENTRY_ID);
  }

  @Test
  void aPayloadWithMultilingualTextIsAcceptedAsIs() {
    String payload = "{\"text\":\"Grüße aus München. 東京で会いましょう。你好，世界！🙂👍\"}";

    InboundMessage m = accepted(entry("pipeline", "ner", "payload", payload));

    assertThat(m.payload().get("text").textValue())
        .isEqualTo("Grüße aus München. 東京で会いましょう。你好，世界！🙂👍");
  }

  @Test
  void aPipelineNameThatIsNotUtf8IsRejectedAsMissing() {
    Map<String, byte[]> fields = fields("payload", OBJECT);
    fields.put("pipeline", new byte[] {'n', 'e', (byte) 0xFF});

    assertThat(reasonOf(new StreamMessage(ENTRY_ID, fields)))
        .isEqualTo(RejectReason.MISSING_PIPELINE);
  }

  @Test
  void aPayloadThatIsNotUtf8IsRejectedAsNotJson() {
    Map<String, byte[]> fields = fields("pipeline", "ner");
    byte[] json = "{\"text\":\"ab\"}".getBytes(UTF_8);
    json[9] = (byte) 0xFF;
    fields.put("payload", json);

    assertThat(reasonOf(new StreamMessage(ENTRY_ID, fields)))
        .isEqualTo(RejectReason.PAYLOAD_NOT_JSON);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{\"text\":\"a\\u0000b\"}|$.text",
        "{\"a\":[1,{\"b\":\"\\u0000\"}]}|$.a[1].b",
        "{\"k\\u0000ey\":1}|$[\"k\\u0000ey\"]"
      })
  void u0000AnywhereInThePayloadIsRejectedNamingItsPath(String payloadAndPath) {
    String[] p = payloadAndPath.split("\\|");

    Verdict.Rejected r = rejected(entry("pipeline", "ner", "payload", p[0]));

    assertThat(r.reason()).isEqualTo(RejectReason.PAYLOAD_HAS_NUL);
    assertThat(r.detail())
        .isEqualTo("payload holds U+0000 at " + p[1] + ", which PostgreSQL cannot store");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{\"t\":\"\\ud800\"}",
        "{\"t\":\"x\\udc00y\"}",
        "{\"t\":\"\\ud83d\\ud83d\"}",
        "{\"t\":\"end\\ud83d\"}"
      })
  void anEscapedLoneSurrogateIsRejected(String payload) {
    Verdict.Rejected r = rejected(entry("pipeline", "ner", "payload", payload));

    assertThat(r.reason()).isEqualTo(RejectReason.PAYLOAD_HAS_LONE_SURROGATE);
    assertThat(r.detail()).contains("a lone surrogate at $");
  }

  @Test
  void aLoneSurrogateInAKeyIsRefusedByTheParser() {
    Verdict.Rejected r = rejected(entry("pipeline", "ner", "payload", "{\"\\udfff\":1}"));

    assertThat(r.reason()).isEqualTo(RejectReason.PAYLOAD_NOT_JSON);
    assertThat(r.detail()).contains("surrogate in field name");
  }

  @Test
  void aRawEncodedSurrogateOrAnOverlongNulIsNotUtf8AndRejectedAsNotJson() {
    byte[][] payloads = {
      {'{', '"', 't', '"', ':', '"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"', '}'},
      {'{', '"', 't', '"', ':', '"', (byte) 0xC0, (byte) 0x80, '"', '}'}
    };
    for (byte[] payload : payloads) {
      Map<String, byte[]> fields = fields("pipeline", "ner");
      fields.put("payload", payload);

      Verdict.Rejected r = rejected(new StreamMessage(ENTRY_ID, fields));

      assertThat(r.reason()).isEqualTo(RejectReason.PAYLOAD_NOT_JSON);
      assertThat(r.detail()).contains("not UTF-8");
    }
  }

  @Test
  void escapedControlCharactersNoncharactersAndSurrogatePairsAreAccepted() {
    String payload = "{\"t\":\"\\u0001\\u001f\\u007f\\u0085\\ufffe\\uffff\\ud83d\\ude00\\t\\n\"}";

    Verdict v = validator.check(entry("pipeline", "ner", "payload", payload));

    assertThat(v).isInstanceOf(Verdict.Accepted.class);
    assertThat(((Verdict.Accepted) v).message().payload().get("t").textValue())
        .isEqualTo("\u0001\u001f\u007f\u0085\ufffe\uffff\ud83d\ude00\t\n");
  }

  @Test
  void numbersAreKeptExactlyAsSent() {
    String payload =
        "{\"big\":1e400,\"long\":0.10000000000000000000001,\"ten\":10.0,\"i\":123456789012345678901234567890}";

    Verdict v = validator.check(entry("pipeline", "ner", "payload", payload));

    assertThat(((Verdict.Accepted) v).message().payload().toString())
        .isEqualTo(
            "{\"big\":1E+400,\"long\":0.10000000000000000000001,\"ten\":10.0,\"i\":123456789012345678901234567890}");
  }

  @ParameterizedTest
  @ValueSource(strings = {"1e131072", "-1e131072", "1e-16384", "1.0e-16383", "0e-16384"})
  void aNumberBeyondPostgresNumericIsRejected(String number) {
    Verdict.Rejected r = rejected(entry("pipeline", "ner", "payload", "{\"x\":[" + number + "]}"));

    assertThat(r.reason()).isEqualTo(RejectReason.PAYLOAD_NUMBER_OUT_OF_RANGE);
    assertThat(r.detail()).contains("at $.x[0]");
  }

  @ParameterizedTest
  @ValueSource(strings = {"1e131071", "9.99e131071", "1e-16383", "0e999999", "1.5e-16382"})
  void aNumberAtTheEdgeOfPostgresNumericIsAccepted(String number) {
    assertThat(validator.check(entry("pipeline", "ner", "payload", "{\"x\":" + number + "}")))
        .isInstanceOf(Verdict.Accepted.class);
  }

  @Test
  void anExponentBeyondWhatTheParserTakesIsRejectedWithoutThrowing() {
    Verdict.Rejected r = rejected(entry("pipeline", "ner", "payload", "{\"x\":1e99999999999999}"));

    assertThat(r.reason()).isEqualTo(RejectReason.PAYLOAD_NUMBER_OUT_OF_RANGE);
    assertThat(r.detail()).contains("1e99999999999999");
  }

  @Test
  void anEntryWithMoreFieldsThanTheLimitIsRejected() {
    MessageValidator strict = new MessageValidator(PIPELINES, LIMIT, 1 << 20, 4);
    Map<String, byte[]> fields = fields("pipeline", "ner", "payload", OBJECT);
    fields.put("a", utf8("1"));
    fields.put("b", utf8("2"));
    fields.put("c", utf8("3"));

    assertThat(strict.check(new StreamMessage(ENTRY_ID, fields)))
        .isEqualTo(
            new Verdict.Rejected(
                RejectReason.TOO_MANY_FIELDS, "the entry has 5 fields, the limit is 4"));
  }

  @Test
  void anEntryLargerThanTheLimitIsRejectedThoughItsPayloadIsWithinItsOwn() {
    MessageValidator strict = new MessageValidator(PIPELINES, LIMIT, 200, 64);
    Map<String, byte[]> fields = fields("pipeline", "ner", "payload", OBJECT);
    fields.put("trace", utf8("t".repeat(150)));

    Verdict.Rejected r = rejected(strict, new StreamMessage(ENTRY_ID, fields));

    assertThat(r.reason()).isEqualTo(RejectReason.ENTRY_TOO_LARGE);
    fields.remove("trace");
    assertThat(strict.check(new StreamMessage(ENTRY_ID, fields)))
        .isInstanceOf(Verdict.Accepted.class);
  }

  @Test
  void arbitraryBytesInAnyFieldNeverMakeTheValidatorThrow() {
    Random random = new Random(20260301);
    List<String> names = List.of("pipeline", "id", "payload", "other");
    for (int round = 0; round < 5_000; round++) {
      Map<String, byte[]> fields = new LinkedHashMap<>();
      for (String name : names) {
        int choice = random.nextInt(4);
        if (choice == 0) {
          continue;
        }
        byte[] value =
            switch (choice) {
              case 1 -> randomBytes(random, random.nextInt(40));
              case 2 -> mutate(random, "{\"text\":\"Grüße 東京 🙂\",\"n\":[1,{\"x\":null}]}");
              default -> name.equals("pipeline") ? "ner".getBytes(UTF_8) : randomBytes(random, 3);
            };
        fields.put(name, value);
      }
      StreamMessage entry = new StreamMessage(ENTRY_ID, fields);

      assertThatNoException().as("entry %s", fields).isThrownBy(() -> validator.check(entry));
    }
  }

  private static byte[] randomBytes(Random random, int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  private static byte[] mutate(Random random, String json) {
    byte[] b = json.getBytes(UTF_8);
    for (int i = random.nextInt(4); i > 0; i--) {
      b[random.nextInt(b.length)] = (byte) random.nextInt(256);
    }
    return b;
  }

  private static String objectOfBytes(int bytes) {
    String shell = "{\"t\":\"\"}";
    return "{\"t\":\"" + "x".repeat(bytes - shell.length()) + "\"}";
  }

  private static String nested(int depth) {
    return "{\"a\":".repeat(depth - 1) + "{}" + "}".repeat(depth - 1);
  }

  private RejectReason reasonOf(StreamMessage entry) {
    return reasonOf(validator, entry);
  }

  private static RejectReason reasonOf(MessageValidator v, StreamMessage entry) {
    return rejected(v, entry).reason();
  }

  private Verdict.Rejected rejected(StreamMessage entry) {
    return rejected(validator, entry);
  }

  private static Verdict.Rejected rejected(MessageValidator v, StreamMessage entry) {
    Verdict verdict = v.check(entry);
    assertThat(verdict).isInstanceOf(Verdict.Rejected.class);
    return (Verdict.Rejected) verdict;
  }

  private InboundMessage accepted(StreamMessage entry) {
    Verdict verdict = validator.check(entry);
    assertThat(verdict).isInstanceOf(Verdict.Accepted.class);
    return ((Verdict.Accepted) verdict).message();
  }

  private static StreamMessage entry(String... nameValues) {
    return new StreamMessage(ENTRY_ID, fields(nameValues));
  }

  private static byte[] utf8(String s) {
    return s.getBytes(UTF_8);
  }

  private static Map<String, byte[]> fields(String... nameValues) {
    Map<String, byte[]> fields = new LinkedHashMap<>();
    for (int i = 0; i < nameValues.length; i += 2) {
      fields.put(nameValues[i], nameValues[i + 1].getBytes(UTF_8));
    }
    return fields;
  }
}
