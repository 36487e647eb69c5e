package dev.conveyor.patrol;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.common.test.WithServices;
import dev.conveyor.runtime.ledger.TaskLookup;
import dev.conveyor.runtime.ledger.TaskReport;
import dev.conveyor.runtime.records.DeadItemRepository;
import dev.conveyor.runtime.records.RejectedMessageRepository;
import dev.conveyor.runtime.records.TaskAuditRepository;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.StreamEntryID;

/**
 * The task report against a running patrol: a task's progress while in flight, its audit row once
 * patrol cleaned it up.
 */
@WithServices
class TaskReportIT {
  private static PatrolFixture fixture;

  @BeforeAll
  static void files(TestServices services, @TempDir Path dir) throws Exception {
    fixture = PatrolFixture.create(services, dir);
  }

  @AfterEach
  void stop() {
    fixture.stopAll();
  }

  @Test
  void taskReportShowsProgressAndAfterCleanupTheAuditRow(TestServices services) throws Exception {
    Patrol patrol = fixture.start(services, "status-node");
    fixture.register(services, "watched", "status-1", 2);
    TaskReport status =
        new TaskReport(
            fixture.patrolPipelines(services),
            new TaskLookup(services.jedis(), services.keys()),
            new TaskAuditRepository(services.dataSource()),
            new DeadItemRepository(services.dataSource()));

    Map<String, Object> inFlight = status.status("status-1").orElseThrow();
    assertThat(inFlight)
        .containsEntry("pipeline", "watched")
        .containsEntry("state", "in_flight")
        .containsEntry("parts", 2);
    assertThat(inFlight.get("steps")).isEqualTo(Map.of("deliver", Map.of("passed", 0, "of", 2)));

    fixture.finished(services, "forced", "status-2", 1, 1);
    TaskAuditRepository audits = new TaskAuditRepository(services.dataSource());
    await()
        .atMost(10, SECONDS)
        .until(() -> audits.find("status-2").orElseThrow().cleanedAt().isPresent());
    Map<String, Object> cleaned = status.status("status-2").orElseThrow();
    assertThat(cleaned).containsEntry("state", "cleaned").containsEntry("outcome", "delivered");
    assertThat(status.status("nope")).isEmpty();
    assertThat(patrol.state().name()).isEqualTo("RUNNING");
  }

  @Test
  void overHttpAQueuedAndARejectedMessageAreAnswered(TestServices services) throws Exception {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    Patrol patrol =
        fixture.start(
            services,
            "http-node",
            Map.of("CONVEYOR_HTTP_PORT", Integer.toString(port)),
            Clock.systemUTC(),
            List.of());
    services
        .jedis()
        .xadd(
            services.keys().inbox(),
            StreamEntryID.NEW_ENTRY,
            Map.of("pipeline", "watched", "id", "http-queued", "payload", "{}"));
    new RejectedMessageRepository(services.dataSource())
        .insert(
            "1-99",
            "sha-http",
            "unknown_pipeline",
            "no pipeline 'x' is loaded",
            "{\"pipeline\":\"x\",\"id\":\"http-rejected\",\"payload\":\"{}\"}");

    JsonNode queued = get(port, "/tasks/http-queued", 200);
    JsonNode rejected = get(port, "/tasks/http-rejected", 200);

    assertThat(queued.get("state").asText()).isEqualTo("queued");
    assertThat(queued.get("pipeline").asText()).isEqualTo("watched");
    assertThat(rejected.get("state").asText()).isEqualTo("rejected");
    assertThat(rejected.get("reason").asText()).isEqualTo("unknown_pipeline");
    get(port, "/tasks/http-nobody", 404);
    assertThat(patrol.state().name()).isEqualTo("RUNNING");
  }

  private static JsonNode get(int port, String path, int status) throws Exception {
    try (HttpClient http = HttpClient.newHttpClient()) {
      HttpResponse<String> answer =
          http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(answer.statusCode()).as(answer.body()).isEqualTo(status);
      return new ObjectMapper().readTree(answer.body());
    }
  }
}
