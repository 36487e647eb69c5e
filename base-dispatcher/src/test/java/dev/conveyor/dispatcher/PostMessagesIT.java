package dev.conveyor.dispatcher;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.common.redis.Keys;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.params.XReadGroupParams;
import redis.clients.jedis.resps.StreamEntry;

/**
 * The dispatcher's {@code POST /messages}: messages checked by the intake's own validator and
 * published to the inbox (202), refused line by line with nothing published (400), a body past the
 * limit (413), backpressure (429 with Retry-After), the admin rule; the rejected event a producer
 * reads with a consumer group; and the producer examples of {@code docs/examples} run against it.
 */
@WithServices
class PostMessagesIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String OPEN =
      """
      pipeline: open
      version: 1
      steps:
        - name: a
          kind: sink
          sink: {table: conveyor.echo_rows, key: [task_id, part]}
      """;
  private static final String CAPPED =
      """
      pipeline: capped
      version: 1
      max_in_flight: 1
      steps:
        - name: a
          kind: sink
          sink: {table: conveyor.echo_rows, key: [task_id, part]}
      """;

  private DispatcherFixture fixture;
  private int port;

  @BeforeEach
  void setUp(TestServices services, @TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("open.yaml"), OPEN);
    Files.writeString(dir.resolve("capped.yaml"), CAPPED);
    fixture = DispatcherFixture.create(services, dir);
    port = DispatcherFixture.freePort();
  }

  @AfterEach
  void tearDown() {
    fixture.close();
  }

  private void start(Map<String, String> more) {
    Map<String, String> env = new HashMap<>(more);
    env.put("CONVEYOR_HTTP_PORT", Integer.toString(port));
    env.put("CONVEYOR_HTTP_BIND", "127.0.0.1");
    env.put("CONVEYOR_MAX_MESSAGE_BYTES", "4096");
    env.put("CONVEYOR_MAX_ENTRY_BYTES", "8192");
    fixture.start("post-node", env);
  }

  @Test
  void messagesAreCheckedAsTheInboxChecksThemAndPublishedAllOrNothing() throws Exception {
    start(Map.of());

    HttpResponse<String> one =
        post("{\"pipeline\":\"open\",\"id\":\"p-1\",\"payload\":{\"text\":\"x\",\"n\":1e400}}");
    HttpResponse<String> pretty =
        post("{\n  \"pipeline\": \"open\",\n  \"payload\": \"{\\\"text\\\":\\\"y\\\"}\"\n}\n");
    HttpResponse<String> lines =
        post(
            """
            {"pipeline":"open","id":"p-2","payload":{"text":"ok"}}
            {"pipeline":"open","id":"p-3","payload":{"text":"a\\u0000b"}}

            {"pipeline":"nope","payload":{}}
            [1,2]
            """);
    long inboxBefore = fixture.jedis().xlen(fixture.keys().inbox());
    HttpResponse<String> tooLarge =
        post("{\"pipeline\":\"open\",\"payload\":{\"t\":\"" + "x".repeat(80_000) + "\"}}");

    assertThat(one.statusCode()).isEqualTo(202);
    JsonNode published = JSON.readTree(one.body()).at("/published/0");
    assertThat(published.get("task_id").asText()).isEqualTo("p-1");
    assertThat(published.get("line").asInt()).isEqualTo(1);
    StreamEntryID streamId = new StreamEntryID(published.get("stream_id").asText());
    assertThat(pretty.statusCode()).isEqualTo(202);
    JsonNode second = JSON.readTree(pretty.body()).at("/published/0");
    assertThat(second.get("task_id").asText())
        .as("no id: the stream id is the task id")
        .isEqualTo(second.get("stream_id").asText());

    assertThat(lines.statusCode()).isEqualTo(400);
    JsonNode refused = JSON.readTree(lines.body()).get("refused");
    assertThat(refused).hasSize(3);
    assertThat(refused.get(0).get("line").asInt()).isEqualTo(2);
    assertThat(refused.get(0).get("reason").asText()).isEqualTo("payload_has_nul");
    assertThat(refused.get(0).get("detail").asText()).contains("$.text");
    assertThat(refused.get(1).get("line").asInt()).isEqualTo(4);
    assertThat(refused.get(1).get("reason").asText()).isEqualTo("unknown_pipeline");
    assertThat(refused.get(2).get("reason").asText()).isEqualTo(MessagesHandler.NOT_A_MESSAGE);
    assertThat(inboxBefore).as("nothing of the refused body published").isEqualTo(2);

    assertThat(tooLarge.statusCode()).isEqualTo(413);

    fixture.awaitHandled(streamId);
    assertThat(fixture.jedis().hget(fixture.keys().taskMeta("p-1"), "pipeline")).isEqualTo("open");
    assertThat(fixture.jedis().hget(fixture.keys().taskParts("p-1"), "0"))
        .as("the payload as sent, its number exact")
        .isEqualTo("{\"text\":\"x\",\"n\":1E+400}");
  }

  @Test
  void underBackpressureAPostIsAnswered429WithRetryAfter() {
    start(Map.of("CONVEYOR_DISPATCH_BATCH", "1"));
    // why: one body, so the intake cannot fill the pipeline between the two
    assertThat(
            post("""
            {"pipeline":"capped","id":"c-1","payload":{}}
            {"pipeline":"capped","id":"c-2","payload":{}}
            """)
                .statusCode())
        .isEqualTo(202);

    await()
        .atMost(10, SECONDS)
        .untilAsserted(() -> {
          HttpResponse<String> held = post("{\"pipeline\":\"open\",\"payload\":{}}");
          assertThat(held.statusCode()).isEqualTo(429);
          assertThat(held.headers().firstValue("Retry-After")).hasValue("5");
          assertThat(held.body()).contains("capped");
        });
  }

  @Test
  void aRejectedEntryIsAnEventAProducerReadsWithItsConsumerGroupAndWritesNeedTheToken()
      throws Exception {
    Keys keys = fixture.keys();
    fixture.jedis().xgroupCreate(keys.taskEvents(), "my-producer", new StreamEntryID(), true);
    start(Map.of("CONVEYOR_ADMIN_TOKEN", "s3cret"));

    StreamEntryID bad = fixture.publish(Map.of("pipeline", "nope", "id", "bad-1", "payload", "{}"));
    HttpResponse<String> anonymous = post("{\"pipeline\":\"open\",\"payload\":{}}");
    HttpResponse<String> withToken =
        send(
            request("/messages")
                .header("Authorization", "Bearer s3cret")
                .POST(HttpRequest.BodyPublishers.ofString("{\"pipeline\":\"open\",\"payload\":{}}"))
                .build());

    assertThat(anonymous.statusCode()).isEqualTo(401);
    assertThat(withToken.statusCode()).isEqualTo(202);
    fixture.awaitHandled(bad);
    List<Map<String, String>> events = new ArrayList<>();
    await()
        .atMost(5, SECONDS)
        .untilAsserted(() -> {
          var reply =
              fixture
                  .jedis()
                  .xreadGroup(
                      "my-producer",
                      "reader-1",
                      XReadGroupParams.xReadGroupParams().count(10),
                      Map.of(keys.taskEvents(), StreamEntryID.XREADGROUP_UNDELIVERED_ENTRY));
          if (reply != null) {
            reply.forEach(
                s -> s.getValue().stream().map(StreamEntry::getFields).forEach(events::add));
          }
          assertThat(events).isNotEmpty();
        });
    assertThat(events.getFirst())
        .containsEntry("event", "rejected")
        .containsEntry("task", "bad-1")
        .containsEntry("pipeline", "nope")
        .containsEntry("reason", "unknown_pipeline")
        .containsEntry("stream_id", bad.toString());
  }

  @Test
  void theProducerExamplesPublishThroughIt(@TempDir Path dir) throws Exception {
    start(Map.of());
    Path messages = dir.resolve("messages.jsonl");
    Files.writeString(
        messages,
        """
        {"pipeline":"open","id":"py-1","payload":{"text":"one"}}

        {"pipeline":"open","id":"py-2","payload":{"text":"two"}}
        """);

    Result python =
        run(
            List.of(
                "python3",
                Path.of("../docs/examples/producer.py").toString(),
                "--dispatcher",
                "http://127.0.0.1:" + port,
                messages.toString()));
    Result java =
        run(
            List.of(
                ProcessHandle.current().info().command().orElse("java"),
                Path.of("../docs/examples/Producer.java").toString(),
                "http://127.0.0.1:" + port,
                "open",
                "java-1",
                "{\"text\":\"three\"}"));

    assertThat(python.code()).as(python.output()).isZero();
    assertThat(python.output().lines().toList())
        .hasSize(2)
        .satisfies(l -> assertThat(l.get(0)).startsWith("1\tpy-1\t"))
        .satisfies(l -> assertThat(l.get(1)).startsWith("3\tpy-2\t"));
    assertThat(java.code()).as(java.output()).isZero();
    assertThat(java.output().strip()).isEqualTo("java-1");
    await()
        .atMost(10, SECONDS)
        .untilAsserted(() -> {
          for (String id : List.of("py-1", "py-2", "java-1")) {
            assertThat(fixture.jedis().exists(fixture.keys().taskMeta(id))).as(id).isTrue();
          }
        });
  }

  private record Result(int code, String output) {}

  private static Result run(List<String> command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(false).start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), UTF_8);
    String err = new String(p.getErrorStream().readAllBytes(), UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
    }
    return new Result(p.exitValue(), out + (err.isEmpty() ? "" : "\nstderr: " + err));
  }

  private HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(10));
  }

  private HttpResponse<String> post(String body) {
    return send(request("/messages").POST(HttpRequest.BodyPublishers.ofString(body)).build());
  }

  private static HttpResponse<String> send(HttpRequest request) {
    try (HttpClient http = HttpClient.newHttpClient()) {
      return http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
