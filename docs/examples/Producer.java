import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Publishes one message to Conveyor over HTTP with the JDK's HttpClient, then (optionally) waits
 * for its outcome. Java 11 or later, no dependencies; run it as a source file:
 *
 * <pre>
 * java Producer.java http://127.0.0.1:8080 echo doc-42 '{"text":"Acme Widgets Ltd. hired Jane Smith."}'
 * PATROL=http://127.0.0.1:8082 java Producer.java http://127.0.0.1:8080 echo doc-42 '{"text":"..."}'
 * </pre>
 *
 * Arguments: the dispatcher's URL, the pipeline, the message id ("-" for none: the stream id is
 * then the task id), the payload (a JSON object). Environment: PATROL (wait for the outcome at
 * that patrol's HTTP), CONVEYOR_ADMIN_TOKEN (when the daemons have one). Prints the task id; with
 * PATROL then the outcome. Exit status 0 when published (and delivered), 1 refused or not
 * delivered, 2 usage.
 */
public class Producer {
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  public static void main(String[] args) throws Exception {
    if (args.length != 4) {
      System.err.println("usage: java Producer.java DISPATCHER_URL PIPELINE ID|- PAYLOAD_JSON");
      System.exit(2);
    }
    String message =
        "{\"pipeline\":"
            + quote(args[1])
            + (args[2].equals("-") ? "" : ",\"id\":" + quote(args[2]))
            + ",\"payload\":"
            + args[3]
            + "}";
    HttpResponse<String> answer;
    while (true) {
      answer = HTTP.send(post(args[0] + "/messages", message), HttpResponse.BodyHandlers.ofString());
      if (answer.statusCode() != 429 && answer.statusCode() != 503) {
        break;
      }
      // backpressure, or the dispatcher is starting: wait as long as it asks
      long seconds = answer.headers().firstValueAsLong("Retry-After").orElse(1);
      System.err.println("# " + answer.statusCode() + ", again in " + seconds + "s");
      Thread.sleep(seconds * 1000);
    }
    if (answer.statusCode() != 202) {
      System.err.println("refused (" + answer.statusCode() + "): " + answer.body());
      System.exit(1);
    }
    String taskId = field(answer.body(), "task_id");
    System.out.println(taskId);

    String patrol = System.getenv("PATROL");
    if (patrol == null) {
      return;
    }
    for (int i = 0; i < 600; i++) {
      HttpResponse<String> report =
          HTTP.send(get(patrol + "/tasks/" + taskId), HttpResponse.BodyHandlers.ofString());
      if (report.statusCode() == 200) {
        String outcome = field(report.body(), "outcome");
        String reason = field(report.body(), "reason");
        if (outcome != null || reason != null) {
          System.out.println(outcome != null ? outcome : "rejected: " + reason);
          System.exit("delivered".equals(outcome) ? 0 : 1);
        }
      }
      Thread.sleep(500);
    }
    System.out.println("unfinished");
    System.exit(1);
  }

  private static HttpRequest post(String url, String body) {
    return authorized(HttpRequest.newBuilder(URI.create(url)))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body))
        .build();
  }

  private static HttpRequest get(String url) {
    return authorized(HttpRequest.newBuilder(URI.create(url))).GET().build();
  }

  private static HttpRequest.Builder authorized(HttpRequest.Builder b) {
    String token = System.getenv("CONVEYOR_ADMIN_TOKEN");
    b.timeout(Duration.ofSeconds(30));
    return token == null || token.isBlank() ? b : b.header("Authorization", "Bearer " + token);
  }

  /** A JSON string, for the pipeline and the id (which hold no quotes or backslashes anyway). */
  private static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  /** The first string value of {@code name} in a JSON text; a JSON library does this properly. */
  private static String field(String json, String name) {
    Matcher m = Pattern.compile("\"" + name + "\"\\s*:\\s*\"([^\"]*)\"").matcher(json);
    return m.find() ? m.group(1) : null;
  }
}
