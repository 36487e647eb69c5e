package dev.conveyor.runtime.console;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;

/**
 * The console's calls to the daemons' own HTTP routes, at the addresses their heartbeats give: a
 * processor's {@code /status} for its steps' states, and the control routes an action forwards to,
 * with the caller's {@code Authorization} header as it came.
 */
final class NodeHttp {
  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  private final HttpClient client =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  /** What a daemon answered; status 0 when it could not be reached. */
  record Answer(int status, String body) {
    boolean ok() {
      return status >= 200 && status < 300;
    }
  }

  Answer get(String address, String path) throws InterruptedException {
    return send(HttpRequest.newBuilder(uri(address, path)).timeout(TIMEOUT).GET().build());
  }

  Answer post(String address, String path, String body, Optional<String> authorization)
      throws InterruptedException {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(uri(address, path))
            .timeout(TIMEOUT)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    authorization.ifPresent(a -> b.header("Authorization", a));
    return send(b.build());
  }

  private Answer send(HttpRequest request) throws InterruptedException {
    try {
      HttpResponse<String> r = client.send(request, HttpResponse.BodyHandlers.ofString());
      return new Answer(r.statusCode(), r.body());
    } catch (IOException e) {
      return new Answer(0, "unreachable: " + e.getMessage());
    }
  }

  private static URI uri(String address, String path) {
    return URI.create("http://" + address + path);
  }
}
