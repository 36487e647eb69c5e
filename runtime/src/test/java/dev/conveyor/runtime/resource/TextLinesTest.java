package dev.conveyor.runtime.resource;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TextLinesTest {
  @TempDir Path dir;

  private final SharedResources resources = new SharedResources();

  private List<String> linesOf(byte[] content) throws IOException {
    Path file = Files.write(dir.resolve("lines.txt"), content);
    try (var resource = resources.acquire("lines", file)) {
      List<String> lines = new ArrayList<>();
      SharedResources.lines(resource).forEach(lines::add);
      return lines;
    }
  }

  private List<String> linesOf(String content) throws IOException {
    return linesOf(content.getBytes(UTF_8));
  }

  @Test
  void multiByteCharactersAreDecodedWhole() throws IOException {
    assertThat(linesOf("Zoë\nŞükrü\n東京\n😀 smile\n"))
        .containsExactly("Zoë", "Şükrü", "東京", "😀 smile");
  }

  @Test
  void theLastLineNeedsNoLineEnd() throws IOException {
    assertThat(linesOf("Jane\nJohn")).containsExactly("Jane", "John");
  }

  @Test
  void aFinalLineEndAddsNoEmptyLine() throws IOException {
    assertThat(linesOf("Jane\nJohn\n")).containsExactly("Jane", "John");
  }

  @Test
  void crlfLineEndsReadLikeLf() throws IOException {
    assertThat(linesOf("Jane\r\nJosé\r\nJohn")).containsExactly("Jane", "José", "John");
  }

  @Test
  void emptyLinesInsideTheFileAreKept() throws IOException {
    assertThat(linesOf("Jane\n\n\r\nJohn\n")).containsExactly("Jane", "", "", "John");
  }

  @Test
  void aCarriageReturnInsideALineIsKept() throws IOException {
    assertThat(linesOf("a\rb\n")).containsExactly("a\rb");
  }

  @Test
  void aByteOrderMarkAtTheStartIsSkipped() throws IOException {
    assertThat(linesOf("\uFEFFJane\nJohn\n")).containsExactly("Jane", "John");
  }

  @Test
  void anEmptyFileHasNoLines() throws IOException {
    assertThat(linesOf("")).isEmpty();
  }

  @Test
  void aFileOfOneLineEndHasOneEmptyLine() throws IOException {
    assertThat(linesOf("\n")).containsExactly("");
  }

  @Test
  void invalidUtf8IsRefusedWithTheResourceAndLine() throws IOException {
    byte[] content = {'J', 'a', 'n', 'e', '\n', 'J', (byte) 0xC3, '\n'};
    Path file = Files.write(dir.resolve("bad.txt"), content);

    try (var resource = resources.acquire("names", file)) {
      var lines = SharedResources.lines(resource).iterator();
      assertThat(lines.next()).isEqualTo("Jane");
      assertThatThrownBy(lines::next)
          .isInstanceOf(ResourceException.class)
          .hasMessage("resource 'names' (" + file.toRealPath() + "): line 2 is not valid UTF-8");
    }
  }

  @Test
  void iteratingPastTheLastLineThrows() throws IOException {
    Path file = Files.writeString(dir.resolve("one.txt"), "Jane");
    try (var resource = resources.acquire("names", file)) {
      var lines = SharedResources.lines(resource).iterator();
      lines.next();

      assertThat(lines.hasNext()).isFalse();
      assertThatThrownBy(lines::next).isInstanceOf(NoSuchElementException.class);
    }
  }

  @Test
  void eachIterationStartsAtTheFirstLine() throws IOException {
    Path file = Files.writeString(dir.resolve("names.txt"), "Jane\nJohn\n");
    try (var resource = resources.acquire("names", file)) {
      var lines = SharedResources.lines(resource);

      assertThat(lines.stream().count()).isEqualTo(2);
      assertThat(lines.stream().toList()).containsExactly("Jane", "John");
    }
  }

  @Test
  void linesOfAResourceThatIsNotMappedAreReadToo() {
    var fake = new FakeResource("names", "Jane\r\nJohn");

    assertThat(SharedResources.lines(fake).stream().toList()).containsExactly("Jane", "John");
  }

  @Test
  void invalidUtf8InAResourceThatIsNotMappedNamesTheResource() {
    var fake = new FakeResource("names", new byte[] {(byte) 0xFF});

    assertThatThrownBy(() -> SharedResources.lines(fake).iterator().next())
        .isInstanceOf(ResourceException.class)
        .hasMessage("resource 'names': line 1 is not valid UTF-8");
  }
}
