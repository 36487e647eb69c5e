package dev.conveyor.e2e;

import static dev.conveyor.e2e.ScriptRun.bash;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The images' scripts run with bash outside any image: {@code deploy/docker/conveyor-http} (the
 * health check) and {@code deploy/docker/entrypoint}.
 */
class ImageScriptsIT {
  @Test
  void conveyorHttpPassesOnTwoHundredAndFailsOtherwise() throws Exception {
    AtomicInteger status = new AtomicInteger(200);
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/",
        exchange -> {
          byte[] body =
              ("{\"path\":\"" + exchange.getRequestURI().getPath() + "\"}")
                  .getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(status.get(), body.length);
          try (var out = exchange.getResponseBody()) {
            out.write(body);
          }
        });
    server.start();
    String port = Integer.toString(server.getAddress().getPort());
    try {
      ScriptRun up =
          bash(Map.of("CONVEYOR_HTTP_PORT", port), "deploy/docker/conveyor-http", "/health");
      assertThat(up.code()).isZero();
      assertThat(up.out()).contains("200").contains("{\"path\":\"/health\"}");

      ScriptRun other =
          bash(Map.of("CONVEYOR_HTTP_PORT", port), "deploy/docker/conveyor-http", "/status");
      assertThat(other.code()).isZero();
      assertThat(other.out()).contains("{\"path\":\"/status\"}");

      status.set(503);
      ScriptRun down = bash(Map.of("CONVEYOR_HTTP_PORT", port), "deploy/docker/conveyor-http");
      assertThat(down.code()).isEqualTo(1);
      assertThat(down.out()).contains("503");
    } finally {
      server.stop(0);
    }
    ScriptRun nobody = bash(Map.of("CONVEYOR_HTTP_PORT", port), "deploy/docker/conveyor-http");
    assertThat(nobody.code()).isEqualTo(1);
    assertThat(nobody.out()).contains("nothing listens");
  }

  @Test
  void theEntrypointNamesTheNodeAfterTheHostnameAndStartsTheJar(@TempDir Path dir)
      throws Exception {
    Path fakeJava = dir.resolve("java");
    Files.writeString(
        fakeJava, "#!/bin/sh\necho \"node=$CONVEYOR_NODE_ID\"\nprintf '%s\\n' \"$@\"\n");
    assertThat(fakeJava.toFile().setExecutable(true)).isTrue();
    String path = dir + ":/usr/bin:/bin";

    ScriptRun started =
        bash(
            Map.of("PATH", path, "HOSTNAME", "4f2a9c1b7d3e", "JAVA_OPTS", "-Xmx64m -Dx=y"),
            "deploy/docker/entrypoint");
    assertThat(started.code()).isZero();
    assertThat(started.out().lines().toList())
        .containsExactly(
            "node=4f2a9c1b7d3e",
            "-XX:MaxRAMPercentage=75",
            "-XX:+ExitOnOutOfMemoryError",
            "-XX:G1PeriodicGCInterval=30000",
            "-Dfile.encoding=UTF-8",
            "-XX:+AutoCreateSharedArchive",
            "-XX:SharedArchiveFile=/tmp/conveyor.jsa",
            "-Xlog:cds=off,cds+dynamic=off",
            "-Xmx64m",
            "-Dx=y",
            "-jar",
            "/app/conveyor.jar");

    ScriptRun named =
        bash(
            Map.of("PATH", path, "HOSTNAME", "h", "CONVEYOR_NODE_ID", "mine"),
            "deploy/docker/entrypoint",
            "--flag");
    assertThat(named.out().lines().toList()).startsWith("node=mine").endsWith("--flag");

    ScriptRun command =
        bash(Map.of("PATH", path, "HOSTNAME", "h"), "deploy/docker/entrypoint", "echo", "hi");
    assertThat(command.out().strip()).isEqualTo("hi");
  }
}
