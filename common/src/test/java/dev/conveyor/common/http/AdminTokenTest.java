package dev.conveyor.common.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class AdminTokenTest {
  private final List<AutoCloseable> resources = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable resource : resources.reversed()) {
      resource.close();
    }
  }

  @Test
  void adminRouteWithoutTheTokenIs401() throws Exception {
    var client = serverWithToken(Optional.of("s3cret"));

    var response = client.post("/suspend", "");

    assertThat(response.statusCode()).isEqualTo(401);
    assertThat(response.body()).isEqualTo("{\"error\":\"admin token required\"}");
    assertThat(response.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
  }

  @Test
  void adminRouteWithAWrongTokenIs401() throws Exception {
    var client = serverWithToken(Optional.of("s3cret"));

    assertThat(client.post("/suspend", "", "Authorization", "Bearer s3cre").statusCode())
        .isEqualTo(401);
    assertThat(client.post("/suspend", "", "Authorization", "Bearer s3cret2").statusCode())
        .isEqualTo(401);
    assertThat(client.post("/suspend", "", "Authorization", "Basic s3cret").statusCode())
        .isEqualTo(401);
  }

  @Test
  void adminRouteWithTheTokenRuns() throws Exception {
    var client = serverWithToken(Optional.of("s3cret"));

    var response = client.post("/suspend", "", "Authorization", "Bearer s3cret");
    var lowerCaseScheme = client.post("/suspend", "", "Authorization", "bearer s3cret");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("suspended");
    assertThat(lowerCaseScheme.statusCode()).isEqualTo(200);
  }

  @Test
  void routesNotRequiringAdminNeedNoToken() throws Exception {
    var client = serverWithToken(Optional.of("s3cret"));

    assertThat(client.get("/health").statusCode()).isEqualTo(200);
    assertThat(client.get("/tasks/t-1").statusCode()).isEqualTo(200);
  }

  @Test
  void adminRoutesAnswerLoopbackClientsWhenNoTokenIsConfigured() throws Exception {
    var client = serverWithToken(Optional.empty());

    assertThat(client.post("/suspend", "").statusCode()).isEqualTo(200);
  }

  @Test
  void withoutATokenOnlyLoopbackClientsMayControl() throws Exception {
    AdminGuard open = AdminGuard.of(Optional.empty());

    assertThat(open.decide(null, InetAddress.getByName("127.0.0.1")))
        .isEqualTo(AdminGuard.Decision.ALLOWED);
    assertThat(open.decide(null, InetAddress.getByName("::1")))
        .isEqualTo(AdminGuard.Decision.ALLOWED);
    assertThat(open.decide("Bearer anything", InetAddress.getByName("10.1.2.3")))
        .isEqualTo(AdminGuard.Decision.LOOPBACK_ONLY);
    assertThat(open.decide(null, InetAddress.getByName("192.0.2.2")))
        .isEqualTo(AdminGuard.Decision.LOOPBACK_ONLY);
    assertThat(open.decide(null, InetAddress.getByName("fd00::2")))
        .isEqualTo(AdminGuard.Decision.LOOPBACK_ONLY);
    assertThat(open.decide(null, null)).isEqualTo(AdminGuard.Decision.LOOPBACK_ONLY);
  }

  @Test
  void withATokenEveryClientNeedsItLoopbackToo() throws Exception {
    AdminGuard guarded = AdminGuard.of(Optional.of("s3cret"));

    assertThat(guarded.decide(null, InetAddress.getByName("127.0.0.1")))
        .isEqualTo(AdminGuard.Decision.TOKEN_REQUIRED);
    assertThat(guarded.decide("Bearer s3cret", InetAddress.getByName("10.1.2.3")))
        .isEqualTo(AdminGuard.Decision.ALLOWED);
  }

  @Test
  void blankTokenIsRefused() {
    var builder = StatusHttpServer.builder().health(() -> true, () -> "RUNNING");

    assertThatThrownBy(() -> builder.adminToken(Optional.of("  ")).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("admin token must not be blank");
  }

  private TestClient serverWithToken(Optional<String> token) {
    var server =
        StatusHttpServer.builder()
            .port(0)
            .bindAddress("127.0.0.1")
            .health(() -> true, () -> "RUNNING")
            .adminToken(token)
            .route("POST", "/suspend", request -> HttpResponse.text(200, "suspended"), true)
            .route("GET", "/tasks/*", request -> HttpResponse.text(200, request.wildcard()))
            .build();
    resources.add(server);
    server.start();
    var client = new TestClient(server.port());
    resources.add(client);
    return client;
  }
}
