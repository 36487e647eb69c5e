package dev.conveyor.runtime.records;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.common.json.ExactJson;
import dev.conveyor.common.json.StoredJson;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A dead-letter or rejection write never fails for what it stores: against the real PostgreSQL,
 * with every kind of content it refuses.
 */
@WithServices
class HostileWritesIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void everyDeadItemIsStoredWhateverItsPayloadAndError(TestServices services) throws Exception {
    DeadItemRepository repo = new DeadItemRepository(services.dataSource());
    Map<String, String> payloads = new LinkedHashMap<>();
    payloads.put("nul", "{\"text\":\"a\\u0000b\"}");
    payloads.put("escaped-surrogate", "{\"text\":\"\\ud800\"}");
    payloads.put("raw-surrogate", "{\"text\":\"\ud800\"}");
    payloads.put("not-json", "Infinity");
    payloads.put("raw-nul-text", "a\u0000b");
    payloads.put("huge-number", "{\"n\":1e131072}");
    payloads.put("unreadable-number", "{\"n\":1e99999999999999}");
    payloads.put(
        "too-large", "{\"text\":\"" + "x".repeat(DeadItemRepository.MAX_PAYLOAD_BYTES) + "\"}");
    payloads.put("empty", "");
    int part = 0;
    for (var p : payloads.entrySet()) {
      DeadItem d =
          new DeadItem(
              "hostile",
              "echo",
              part++,
              p.getKey(),
              3,
              "error \u0000 \ud800 " + "e".repeat(20_000),
              p.getValue(),
              Instant.now());

      assertThat(repo.insert(d)).as(p.getKey()).isTrue();
    }

    for (DeadItem stored : repo.forTask("hostile")) {
      String original = payloads.get(stored.step());
      JsonNode payload = JSON.readTree(stored.payload());
      assertThat(payload.has("unstorable")).as(stored.step()).isTrue();
      assertThat(payload.get("bytes").longValue())
          .as(stored.step())
          .isEqualTo(original.getBytes(StandardCharsets.UTF_8).length);
      assertThat(payload.get("sha256").textValue())
          .isEqualTo(StoredJson.sha256(original.getBytes(StandardCharsets.UTF_8)));
      assertThat(payload.get("head").textValue())
          .hasSizeLessThanOrEqualTo(StoredJson.HEAD_CHARS + 100);
      assertThat(stored.error())
          .startsWith("error \\u0000 \\ud800 eee")
          .hasSizeLessThan(DeadItemRepository.MAX_ERROR_CHARS + 100);
    }
    assertThat(repo.forTask("hostile")).hasSize(payloads.size());
    assertThat(
            JSON.readTree(repo.forTask("hostile").getFirst().payload())
                .get("unstorable")
                .textValue())
        .isEqualTo("U+0000 at $.text");
  }

  @Test
  void aStorablePayloadIsKeptAsItIsAndANullOneStaysNull(TestServices services) throws Exception {
    DeadItemRepository repo = new DeadItemRepository(services.dataSource());

    repo.insert(
        new DeadItem(
            "fine", "echo", 0, "a", 1, "e", "{\"n\":1e400,\"t\":\"\\u0001\"}", Instant.now()));
    repo.insert(new DeadItem("fine", "echo", 1, "a", 1, "e", null, Instant.now()));

    JsonNode kept = ExactJson.read(repo.forTask("fine").get(0).payload());
    assertThat(kept.get("n").decimalValue()).isEqualByComparingTo(new BigDecimal("1e400"));
    assertThat(kept.get("t").textValue()).isEqualTo("\u0001");
    assertThat(repo.forTask("fine").get(1).payload()).isNull();
  }

  @Test
  void aRejectionIsStoredWhateverItsDetailAndEvenFieldsPostgresRefuses(TestServices services)
      throws Exception {
    RejectedMessageRepository repo = new RejectedMessageRepository(services.dataSource());

    assertThat(
            repo.insert(
                "7-0",
                "sha",
                "payload_not_json",
                "detail \u0000 \ud800 " + "d".repeat(50_000),
                "{\"payload\":\"a\\u0000b\"}"))
        .isTrue();

    RejectedMessage row = repo.list(null, null, null, 1).getFirst();
    assertThat(row.detail())
        .startsWith("detail \\u0000 \\ud800 ddd")
        .hasSizeLessThan(RejectedMessageRepository.MAX_DETAIL_CHARS + 100);
    assertThat(JSON.readTree(row.fields()).get("unstorable").textValue())
        .startsWith("PostgreSQL refused the fields");
  }
}
