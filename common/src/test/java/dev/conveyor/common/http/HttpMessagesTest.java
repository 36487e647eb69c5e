package dev.conveyor.common.http;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HttpMessagesTest {

  @Test
  void requestHeaderLookupIgnoresCase() {
    var request =
        new HttpRequest(
            "GET",
            "/x",
            "",
            Map.of(),
            Map.of("Content-type", List.of("application/json")),
            new byte[0]);

    assertThat(request.header("CONTENT-TYPE")).hasValue("application/json");
    assertThat(request.headers().get("content-type")).containsExactly("application/json");
    assertThat(request.header("Accept")).isEmpty();
  }

  @Test
  void requestAndResponseBodiesCannotBeChangedFromOutside() {
    byte[] bytes = "abc".getBytes(UTF_8);
    var request = new HttpRequest("POST", "/x", "", Map.of(), Map.of(), bytes);
    var response = HttpResponse.of(200, HttpResponse.TEXT, bytes);

    bytes[0] = 'z';
    request.body()[1] = 'z';
    response.body()[1] = 'z';

    assertThat(request.bodyAsString()).isEqualTo("abc");
    assertThat(response.bodyAsString()).isEqualTo("abc");
    assertThat(request)
        .isEqualTo(new HttpRequest("POST", "/x", "", Map.of(), Map.of(), bytes("abc")));
  }

  @Test
  void jsonAndTextFactoriesSetTheContentType() {
    var json = HttpResponse.json(202, Map.of("accepted", true));
    var text = HttpResponse.text(200, "ok");

    assertThat(json.contentType()).isEqualTo("application/json");
    assertThat(json.bodyAsString()).isEqualTo("{\"accepted\":true}");
    assertThat(text).isEqualTo(HttpResponse.of(200, "text/plain; charset=utf-8", bytes("ok")));
  }

  @Test
  void withHeaderAddsWithoutChangingTheOriginal() {
    var plain = HttpResponse.text(200, "ok");

    var tagged = plain.withHeader("Cache-Control", "no-store");

    assertThat(plain.headers()).isEmpty();
    assertThat(tagged.headers()).containsEntry("Cache-Control", "no-store");
  }

  @Test
  void headerWithALineBreakIsRefused() {
    var plain = HttpResponse.text(200, "ok");

    assertThatThrownBy(() -> plain.withHeader("X-Id", "a\r\nSet-Cookie: x=1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("malformed response header X-Id");
  }

  @Test
  void statusOutsideTheRangeIsRefused() {
    assertThatThrownBy(() -> HttpResponse.text(99, "x"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> HttpResponse.text(600, "x"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static byte[] bytes(String text) {
    return text.getBytes(UTF_8);
  }
}
