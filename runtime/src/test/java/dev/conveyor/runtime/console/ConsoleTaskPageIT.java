package dev.conveyor.runtime.console;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.common.http.Handler;
import dev.conveyor.common.http.HttpRequest;
import dev.conveyor.common.http.HttpResponse;
import dev.conveyor.common.redis.Keys;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import dev.conveyor.runtime.pipeline.Pipeline;
import dev.conveyor.runtime.pipeline.PipelineLoader;
import dev.conveyor.runtime.pipeline.Pipelines;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.UnifiedJedis;

/** The console's task page of a message still in the inbox, no dispatcher running. */
@WithServices
class ConsoleTaskPageIT {
  private static final Pipeline FLOW =
      PipelineLoader.parse(
          """
          pipeline: flow
          version: 1
          steps:
            - {name: deliver, kind: sink, sink: {table: conveyor.echo_rows, key: [task_id, part]}}
          """,
          "flow.yaml");

  private UnifiedJedis jedis;
  private Keys keys;
  private TestServices services;

  @BeforeEach
  void setUp(TestServices services, TestInfo test) {
    this.services = services;
    jedis = services.jedis();
    // why: the services' namespace is the class's; each test needs an inbox of its own
    keys = new Keys(services.namespace() + "-" + test.getTestMethod().orElseThrow().getName());
  }

  @AfterEach
  void tearDown() {
    services.deleteRedisKeys(keys.namespace());
  }

  @Test
  void aMessageStillInTheInboxIsQueuedOnItsTaskPage() throws Exception {
    StreamEntryID entry =
        jedis.xadd(
            keys.inbox(),
            StreamEntryID.NEW_ENTRY,
            Map.of("pipeline", "flow", "id", "c-queued", "payload", "{}"));

    HttpResponse r = taskPage(Optional.of(jedis), "c-queued");

    assertThat(r.status()).isEqualTo(200);
    assertThat(r.bodyAsString())
        .contains("<li class=\"queued\"><time>")
        .contains("queued in the inbox</li>")
        .contains("<dt>pipeline</dt><dd>flow</dd>")
        .contains("<dt>state</dt><dd>queued</dd>")
        .contains("<dd>" + entry + "</dd>")
        .doesNotContain("task-missing");
    assertThat(taskPage(Optional.of(jedis), "c-nobody").bodyAsString()).contains("task-missing");
  }

  @Test
  void aDaemonWithoutTheInboxSaysItCannotSeeQueuedMessages() throws Exception {
    jedis.xadd(
        keys.inbox(),
        StreamEntryID.NEW_ENTRY,
        Map.of("pipeline", "flow", "id", "c-elsewhere", "payload", "{}"));

    String html = taskPage(Optional.empty(), "c-elsewhere").bodyAsString();

    assertThat(html).contains("task-missing").contains("This daemon cannot read the inbox");
  }

  private HttpResponse taskPage(Optional<UnifiedJedis> inbox, String id) throws Exception {
    ConsoleSources sources =
        new ConsoleSources(Pipelines.of(List.of(FLOW)), keys, jedis, inbox, services.dataSource());
    Map<String, Handler> routes = new HashMap<>();
    new Console("patrol", "n1", () -> sources, Clock.systemUTC())
        .register((method, path, handler, admin) -> routes.put(method + " " + path, handler));
    String wildcard = "tasks/" + id;
    return routes
        .get("GET /ui/*")
        .handle(
            new HttpRequest("GET", "/ui/" + wildcard, wildcard, Map.of(), Map.of(), new byte[0]));
  }
}
