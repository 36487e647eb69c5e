package dev.conveyor.dispatcher;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.common.redis.Keys;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.dispatcher.DispatcherFixture.Rejected;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.resps.StreamEntry;

/**
 * A {@link DispatcherFixture} with the two pipelines of the intake tests — {@code fan} (two entry
 * sinks, {@code a} and {@code b}) and {@code texts} (split into parts of at most 60 characters) —
 * and messages of at most {@link #MAX_BYTES}.
 */
final class IntakeFixture implements AutoCloseable {
  static final int MAX_BYTES = 64 * 1024;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String FAN =
      """
      pipeline: fan
      version: 1
      steps:
        - name: a
          kind: sink
          sink:
            table: conveyor.echo_rows
            key: [task_id, part]
        - name: b
          kind: sink
          sink:
            table: conveyor.echo_rows
            key: [task_id, part]
      """;
  static final String TEXTS =
      """
      pipeline: texts
      version: 3
      split:
        mode: text
        max_chars: 60
      steps:
        - name: deliver
          kind: sink
          sink:
            table: conveyor.echo_rows
            key: [task_id, part]
      """;

  private final DispatcherFixture fixture;

  private IntakeFixture(DispatcherFixture fixture) {
    this.fixture = fixture;
  }

  /** Writes the two pipelines into {@code dir}, for dispatchers in a namespace of their own. */
  static IntakeFixture create(TestServices services, Path dir) throws IOException {
    Files.writeString(dir.resolve("fan.yaml"), FAN);
    Files.writeString(dir.resolve("texts.yaml"), TEXTS);
    return new IntakeFixture(DispatcherFixture.create(services, dir));
  }

  Keys keys() {
    return fixture.keys();
  }

  UnifiedJedis jedis() {
    return fixture.jedis();
  }

  /** A dispatcher named {@code node}, running, that loaded both pipelines. */
  Dispatcher running(String node) {
    return running(node, Map.of());
  }

  Dispatcher running(String node, Map<String, String> overrides) {
    Map<String, String> env = new HashMap<>();
    env.put("CONVEYOR_MAX_MESSAGE_BYTES", Integer.toString(MAX_BYTES));
    env.putAll(overrides);
    Dispatcher dispatcher = fixture.start(node, env);
    assertThat(dispatcher.status()).containsEntry("pipelines", List.of("fan", "texts"));
    return dispatcher;
  }

  StreamEntryID publish(Map<String, String> fields) {
    return fixture.publish(fields);
  }

  StreamEntryID publishRaw(LinkedHashMap<byte[], byte[]> fields) {
    return fixture.publishRaw(fields);
  }

  void awaitHandled(StreamEntryID id) {
    fixture.awaitHandled(id);
  }

  void awaitHandled(StreamEntryID id, Duration atMost) {
    fixture.awaitHandled(id, atMost);
  }

  long pendingOf(String consumer) {
    return fixture.pendingOf(consumer);
  }

  List<StreamEntry> queueEntries(String pipeline, String step, String taskId) {
    return fixture.queueEntries(pipeline, step, taskId);
  }

  List<String> queuedParts(String pipeline, String step, String taskId) {
    return fixture.queuedParts(pipeline, step, taskId);
  }

  Optional<Rejected> rejectedRow(StreamEntryID id) {
    return fixture.rejectedRow(id);
  }

  /** A part as the dispatcher stores it: its text and its offset in the whole text. */
  static JsonNode part(String text, int offset) {
    return JSON.createObjectNode().put("text", text).put("offset", offset);
  }

  /** Inbox fields in order; values are text (UTF-8) or raw bytes. */
  static LinkedHashMap<byte[], byte[]> fields(Object... nameValues) {
    LinkedHashMap<byte[], byte[]> fields = new LinkedHashMap<>();
    for (int i = 0; i < nameValues.length; i += 2) {
      Object v = nameValues[i + 1];
      fields.put(
          ((String) nameValues[i]).getBytes(UTF_8),
          v instanceof byte[] b ? b : ((String) v).getBytes(UTF_8));
    }
    return fields;
  }

  @Override
  public void close() {
    fixture.close();
  }
}
