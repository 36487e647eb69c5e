package dev.conveyor.common.http;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;

/** Real HTTP over loopback to a {@link StatusHttpServer}. */
final class TestClient implements AutoCloseable {
  private final HttpClient client =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();
  private final int port;

  TestClient(int port) {
    this.port = port;
  }

  java.net.http.HttpResponse<String> get(String path, String... headers)
      throws IOException, InterruptedException {
    return send(request(path, headers).GET());
  }

  java.net.http.HttpResponse<String> post(String path, String body, String... headers)
      throws IOException, InterruptedException {
    return send(
        request(path, headers).POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)));
  }

  java.net.http.HttpResponse<String> send(String method, String path)
      throws IOException, InterruptedException {
    return send(request(path).method(method, java.net.http.HttpRequest.BodyPublishers.noBody()));
  }

  java.net.http.HttpResponse<String> send(
      String method, String path, java.net.http.HttpRequest.BodyPublisher body)
      throws IOException, InterruptedException {
    return send(request(path).method(method, body));
  }

  private java.net.http.HttpRequest.Builder request(String path, String... headers) {
    var builder =
        java.net.http.HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(10));
    if (headers.length > 0) {
      builder.headers(headers);
    }
    return builder;
  }

  private java.net.http.HttpResponse<String> send(java.net.http.HttpRequest.Builder request)
      throws IOException, InterruptedException {
    return client.send(request.build(), BodyHandlers.ofString());
  }

  @Override
  public void close() {
    client.close();
  }
}
