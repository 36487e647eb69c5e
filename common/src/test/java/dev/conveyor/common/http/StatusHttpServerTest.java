package dev.conveyor.common.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.slf4j.event.KeyValuePair;

class StatusHttpServerTest {
  private final AtomicBoolean healthy = new AtomicBoolean(true);
  private final java.util.concurrent.atomic.AtomicReference<List<String>> down =
      new java.util.concurrent.atomic.AtomicReference<>(List.of());
  private final AtomicReference<String> state = new AtomicReference<>("RUNNING");
  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

  private StatusHttpServer server;
  private TestClient client;

  record Backlog(String step, long pending) {}

  record Status(
      String daemon,
      Instant since,
      Duration uptime,
      Optional<Instant> lastTick,
      Optional<String> reason,
      List<Backlog> backlogs,
      Map<String, Integer> rates) {}

  @BeforeEach
  void startServer() {
    var rates = new LinkedHashMap<String, Integer>();
    rates.put("in", 12);
    rates.put("out", 10);
    var status =
        new Status(
            "processor",
            Instant.parse("2026-03-01T10:15:02.114Z"),
            Duration.ofSeconds(90),
            Optional.of(Instant.parse("2026-03-01T10:16:00Z")),
            Optional.empty(),
            List.of(new Backlog("ner", 3), new Backlog("merge", 0)),
            rates);
    registry.counter("conveyor_items_done").increment(5);
    server =
        StatusHttpServer.builder()
            .port(0)
            .bindAddress("127.0.0.1")
            .health(healthy::get, state::get)
            .servicesDown(down::get)
            .status(() -> status)
            .metrics(registry)
            .route(
                "GET",
                "/tasks/*",
                request ->
                    HttpResponse.json(
                        200, Map.of("id", request.wildcard(), "query", request.query())))
            .route("GET", "/tasks/special", request -> HttpResponse.text(200, "special"))
            .route(
                "POST",
                "/echo",
                request ->
                    HttpResponse.text(
                            201,
                            request.header("x-TRACE").orElse("-") + ":" + request.bodyAsString())
                        .withHeader("X-Handled", "yes"))
            .route(
                "GET",
                "/boom",
                request -> {
                  throw new IllegalStateException("kaput");
                })
            .build();
    server.start();
    client = new TestClient(server.port());
  }

  @AfterEach
  void stopServer() {
    client.close();
    server.close();
    registry.close();
  }

  @Test
  void healthIsUpWhileTheSupplierSaysHealthyAndDownOtherwise() throws Exception {
    var up = client.get("/health");
    assertThat(up.statusCode()).isEqualTo(200);
    assertThat(up.body()).isEqualTo("{\"status\":\"UP\",\"state\":\"RUNNING\"}");
    assertThat(up.headers().firstValue("Content-Type")).hasValue("application/json");

    healthy.set(false);
    state.set("COMPLETED");
    var down = client.get("/health");

    assertThat(down.statusCode()).isEqualTo(503);
    assertThat(down.body()).isEqualTo("{\"status\":\"DOWN\",\"state\":\"COMPLETED\"}");
  }

  @Test
  void healthIsDegradedButStill200WhileAServiceTheDaemonNeedsIsDown() throws Exception {
    down.set(List.of("postgres"));
    var degraded = client.get("/health");
    assertThat(degraded.statusCode()).isEqualTo(200);
    assertThat(degraded.body())
        .isEqualTo("{\"status\":\"DEGRADED\",\"state\":\"RUNNING\",\"down\":[\"postgres\"]}");

    healthy.set(false);
    state.set("COMPLETED");
    assertThat(client.get("/health").body())
        .isEqualTo("{\"status\":\"DOWN\",\"state\":\"COMPLETED\",\"down\":[\"postgres\"]}");
  }

  @Test
  void statusServesTheSuppliedRecordAsJson() throws Exception {
    var response = client.get("/status");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body())
        .isEqualTo(
            "{\"daemon\":\"processor\",\"since\":\"2026-03-01T10:15:02.114Z\","
                + "\"uptime\":\"PT1M30S\",\"lastTick\":\"2026-03-01T10:16:00Z\",\"reason\":null,"
                + "\"backlogs\":[{\"step\":\"ner\",\"pending\":3},{\"step\":\"merge\",\"pending\":0}],"
                + "\"rates\":{\"in\":12,\"out\":10}}");
  }

  @Test
  void metricsServesThePrometheusScrape() throws Exception {
    var response = client.get("/metrics");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type"))
        .hasValue("text/plain; version=0.0.4; charset=utf-8");
    assertThat(response.body()).contains("conveyor_items_done_total 5.0");
  }

  @Test
  void prefixRouteGetsTheRestOfThePathAndTheDecodedQuery() throws Exception {
    var response = client.get("/tasks/doc-42?verbose&step=ner%20person&step=ignored");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body())
        .contains("\"id\":\"doc-42\"")
        .contains("\"query\":{\"verbose\":\"\",\"step\":\"ner person\"}");
  }

  @Test
  void exactRouteWinsOverPrefixRoute() throws Exception {
    assertThat(client.get("/tasks/special").body()).isEqualTo("special");
  }

  @Test
  void prefixRouteDoesNotMatchItsBarePrefix() throws Exception {
    assertThat(client.get("/tasks").statusCode()).isEqualTo(404);
  }

  @Test
  void handlerSeesHeadersWhateverTheirCaseAndTheBody() throws Exception {
    var response = client.post("/echo", "hello", "X-Trace", "abc");

    assertThat(response.statusCode()).isEqualTo(201);
    assertThat(response.body()).isEqualTo("abc:hello");
    assertThat(response.headers().firstValue("Content-Type")).hasValue("text/plain; charset=utf-8");
    assertThat(response.headers().firstValue("X-Handled")).hasValue("yes");
  }

  @Test
  void unknownPathIs404NamingThePath() throws Exception {
    var response = client.get("/nope");

    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(response.body()).isEqualTo("{\"error\":\"not found\",\"path\":\"/nope\"}");
  }

  @Test
  void knownPathWithWrongMethodIs405WithAllow() throws Exception {
    var health = client.post("/health", "");
    var echo = client.send("DELETE", "/echo");

    assertThat(health.statusCode()).isEqualTo(405);
    assertThat(health.headers().firstValue("Allow")).hasValue("GET");
    assertThat(health.body()).isEqualTo("{\"error\":\"method not allowed\"}");
    assertThat(echo.statusCode()).isEqualTo(405);
    assertThat(echo.headers().firstValue("Allow")).hasValue("POST");
  }

  @Test
  void failingHandlerGives500AndOneErrorLineAndTheServerKeepsServing() throws Exception {
    var logger = (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(StatusHttpServer.class);
    var appender = new ListAppender<ILoggingEvent>();
    appender.start();
    logger.addAppender(appender);
    try {
      var response = client.get("/boom?x=1");

      assertThat(response.statusCode()).isEqualTo(500);
      assertThat(response.body()).isEqualTo("{\"error\":\"internal error\"}");
      assertThat(appender.list).hasSize(1);
      ILoggingEvent event = appender.list.getFirst();
      assertThat(event.getLevel()).isEqualTo(Level.ERROR);
      assertThat(event.getKeyValuePairs())
          .extracting(KeyValuePair::toString)
          .containsExactly(
              "event=\"http_error\"", "method=\"GET\"", "path=\"/boom\"", "error=\"kaput\"");
      assertThat(event.getThrowableProxy().getMessage()).isEqualTo("kaput");
    } finally {
      logger.detachAppender(appender);
    }
    assertThat(client.get("/health").statusCode()).isEqualTo(200);
  }

  @Test
  void requestLineThatIsNoValidUriIs400() throws Exception {
    try (var socket = new java.net.Socket("127.0.0.1", server.port())) {
      socket
          .getOutputStream()
          .write(
              "GET /tasks/x?bad=%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                  .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      String reply =
          new String(
              socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII);
      assertThat(reply).startsWith("HTTP/1.1 400");
    }
  }

  @Test
  void aBodyAtTheRouteLimitIsRead() throws Exception {
    var atLimit = client.post("/echo", "x".repeat(Route.DEFAULT_BODY_BYTES));

    assertThat(atLimit.statusCode()).isEqualTo(201);
    assertThat(atLimit.body()).hasSize(Route.DEFAULT_BODY_BYTES + 2);
  }

  @Test
  void aDeclaredLengthOverTheLimitIs413BeforeAnyOfTheBodyIsSent() throws Exception {
    try (var socket = new java.net.Socket("127.0.0.1", server.port())) {
      socket.setSoTimeout(5_000);
      socket
          .getOutputStream()
          .write(
              ("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n")
                  .getBytes(java.nio.charset.StandardCharsets.US_ASCII));

      String reply = readResponse(socket);

      assertThat(reply).as("answered without waiting for the body").startsWith("HTTP/1.1 413");
      assertThat(reply).contains("at most " + Route.DEFAULT_BODY_BYTES + " bytes");
    }
  }

  @Test
  void aChunkedBodyIsCutOffAtTheLimit() throws Exception {
    try (var socket = new java.net.Socket("127.0.0.1", server.port())) {
      socket.setSoTimeout(5_000);
      var out = socket.getOutputStream();
      out.write(
          "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
              .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      byte[] chunk =
          ("1000\r\n" + "y".repeat(0x1000) + "\r\n")
              .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      for (int i = 0; i <= Route.DEFAULT_BODY_BYTES / 0x1000; i++) {
        out.write(chunk);
      }
      out.flush();

      assertThat(readStatusLine(socket)).startsWith("HTTP/1.1 413");
    }
  }

  @Test
  void aGetWithABodyIs413() throws Exception {
    var response =
        client.send(
            "GET",
            "/tasks/x",
            java.net.http.HttpRequest.BodyPublishers.ofString("a body a GET does not take"));

    assertThat(response.statusCode()).isEqualTo(413);
  }

  @Test
  void requestsBeyondTheConcurrencyLimitAre503ButHealthIsAlwaysAnswered() throws Exception {
    var release = new java.util.concurrent.CountDownLatch(1);
    var entered = new java.util.concurrent.CountDownLatch(1);
    try (var narrow =
            StatusHttpServer.builder()
                .port(0)
                .bindAddress("127.0.0.1")
                .maxConcurrent(1)
                .health(() -> true, () -> "RUNNING")
                .route(
                    "GET",
                    "/slow",
                    request -> {
                      entered.countDown();
                      release.await();
                      return HttpResponse.text(200, "done");
                    })
                .build();
        var http = java.net.http.HttpClient.newHttpClient()) {
      narrow.start();
      var narrowClient = new TestClient(narrow.port());
      var slow =
          http.sendAsync(
              java.net.http.HttpRequest.newBuilder(
                      java.net.URI.create("http://127.0.0.1:" + narrow.port() + "/slow"))
                  .build(),
              java.net.http.HttpResponse.BodyHandlers.ofString());
      assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();

      var refused = narrowClient.get("/slow");
      var health = narrowClient.get("/health");
      release.countDown();

      assertThat(refused.statusCode()).isEqualTo(503);
      assertThat(refused.headers().firstValue("Retry-After")).hasValue("1");
      assertThat(health.statusCode()).isEqualTo(200);
      assertThat(slow.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
      assertThat(narrowClient.get("/slow").statusCode())
          .as("the slot is free again")
          .isEqualTo(200);
      narrowClient.close();
    }
  }

  /** Status line, headers and body (by its Content-Length), without waiting for the close. */
  private static String readResponse(java.net.Socket socket) throws java.io.IOException {
    var in =
        new java.io.BufferedReader(
            new java.io.InputStreamReader(
                socket.getInputStream(), java.nio.charset.StandardCharsets.US_ASCII));
    StringBuilder reply = new StringBuilder();
    int length = 0;
    for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
      reply.append(line).append('\n');
      if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
        length = Integer.parseInt(line.substring("content-length:".length()).strip());
      }
    }
    char[] body = new char[length];
    int read = 0;
    while (read < length) {
      read += in.read(body, read, length - read);
    }
    return reply.append('\n').append(body).toString();
  }

  private static String readStatusLine(java.net.Socket socket) throws java.io.IOException {
    var in =
        new java.io.BufferedReader(
            new java.io.InputStreamReader(
                socket.getInputStream(), java.nio.charset.StandardCharsets.US_ASCII));
    return in.readLine();
  }

  @Test
  void closingTwiceIsHarmlessAndAClosedServerCannotStartAgain() {
    server.close();
    server.close();

    assertThat(server.isTerminated()).isTrue();
    assertThatThrownBy(server::start)
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("server is closed");
  }

  @Test
  void closedServerRefusesConnections() {
    server.close();

    assertThatThrownBy(() -> client.get("/health")).isInstanceOf(java.io.IOException.class);
  }

  @Test
  void afterCloseNoThreadOfTheServerRemains() throws Exception {
    var handlerThread = new AtomicReference<Thread>();
    var before = dispatcherThreads();
    var own =
        StatusHttpServer.builder()
            .port(0)
            .bindAddress("127.0.0.1")
            .health(() -> true, () -> "RUNNING")
            .route(
                "GET",
                "/who",
                request -> {
                  handlerThread.set(Thread.currentThread());
                  return HttpResponse.text(200, Thread.currentThread().getName());
                })
            .build();
    own.start();
    var mine = dispatcherThreads();
    mine.removeAll(before);
    try (var ownClient = new TestClient(own.port())) {
      assertThat(ownClient.get("/who").body()).startsWith("http-");
    } finally {
      own.close();
    }

    assertThat(mine).isNotEmpty();
    assertThat(own.isTerminated()).isTrue();
    assertThat(handlerThread.get().isAlive()).isFalse();
    await()
        .atMost(5, TimeUnit.SECONDS)
        .untilAsserted(() -> assertThat(mine).noneMatch(Thread::isAlive));
  }

  @Test
  void closeDoesNotWaitLongWhenIdle() throws Exception {
    client.get("/health");
    long start = System.nanoTime();

    server.close();

    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(2_500));
  }

  @Test
  void portInUseFailsWithTheAddress() {
    try (var second =
        StatusHttpServer.builder()
            .port(server.port())
            .bindAddress("127.0.0.1")
            .health(() -> true, () -> "RUNNING")
            .build()) {
      assertThatThrownBy(second::start)
          .isInstanceOf(UncheckedIOException.class)
          .hasMessageStartingWith("cannot listen on 127.0.0.1:" + server.port());
    }
  }

  @Test
  void healthIsRequired() {
    assertThatThrownBy(() -> StatusHttpServer.builder().build())
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void portBeforeStartIsRefused() {
    try (var notStarted = StatusHttpServer.builder().health(() -> true, () -> "READY").build()) {
      assertThatThrownBy(notStarted::port).isInstanceOf(IllegalStateException.class);
    }
  }

  private static java.util.Set<Thread> dispatcherThreads() {
    var threads = new java.util.HashSet<>(Thread.getAllStackTraces().keySet());
    threads.removeIf(thread -> !thread.getName().startsWith("HTTP-Dispatcher"));
    return threads;
  }
}
