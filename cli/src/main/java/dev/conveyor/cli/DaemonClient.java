package dev.conveyor.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conveyor.common.config.ConfigException;
import dev.conveyor.common.config.Secret;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;

/**
 * Calls a daemon's control routes over HTTP, at the {@code host:port} of its heartbeat, with {@code
 * Authorization: Bearer $CONVEYOR_ADMIN_TOKEN} when the CLI's environment has the token. A daemon
 * that does not answer is a {@link ServiceUnreachableException}; 401 or 403 (the token is missing
 * or wrong) a {@link ConfigException} that says so.
 */
final class DaemonClient {
  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
  static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Optional<Secret> token;
  private final HttpClient http;

  DaemonClient(Optional<Secret> token) {
    this.token = token;
    this.http = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).build();
  }

  /** The daemon's answer to a request that it accepted (any status but 401 and 403). */
  record Answer(int status, String body) {
    boolean ok() {
      return status / 100 == 2;
    }

    /**
     * The body as JSON.
     *
     * @throws UncheckedIOException if it is not JSON
     */
    JsonNode json() {
      try {
        return JSON.readTree(body);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    /** The text of the body's field {@code name}; the whole body if it has none or is not JSON. */
    String field(String name) {
      try {
        JsonNode node = JSON.readTree(body);
        return node != null && node.has(name) ? node.get(name).asText() : body;
      } catch (IOException e) {
        return body;
      }
    }
  }

  /**
   * @param node the node id, for messages
   * @param address {@code host:port} from its heartbeat
   */
  Answer post(String node, String address, String path, String jsonBody) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://" + address + path))
            .timeout(REQUEST_TIMEOUT)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(jsonBody, StandardCharsets.UTF_8));
    token.ifPresent(t -> request.header("Authorization", "Bearer " + t.reveal()));
    HttpResponse<String> response;
    try {
      response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new ServiceUnreachableException("node " + node, "http://" + address, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ServiceUnreachableException("node " + node, "http://" + address, e);
    }
    if (response.statusCode() == 401 || response.statusCode() == 403) {
      throw new ConfigException(
          "node "
              + node
              + " refused "
              + path
              + " ("
              + response.statusCode()
              + "): "
              + (token.isPresent()
                  ? "CONVEYOR_ADMIN_TOKEN is not the daemons' admin token"
                  : "it needs the admin token: set CONVEYOR_ADMIN_TOKEN (or _FILE) as on the daemons"));
    }
    return new Answer(response.statusCode(), response.body());
  }
}
