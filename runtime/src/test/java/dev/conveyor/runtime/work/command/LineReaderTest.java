package dev.conveyor.runtime.work.command;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LineReaderTest {

  @Test
  void linesComeWithoutTheirTerminatorsAndAnUnterminatedLastLineStillComes() throws IOException {
    LineReader reader = reader("one\ntwo\r\n\nlast", 64);

    assertThat(all(reader)).containsExactly("one", "two", "", "last");
  }

  @Test
  void aLineLongerThanTheLimitComesInPiecesMarkedAsCut() throws IOException {
    LineReader reader = reader("abcdefghij\nxy\n", 4);

    assertThat(reader.next()).isEqualTo("abcd");
    assertThat(reader.cut()).isTrue();
    assertThat(reader.next()).isEqualTo("efgh");
    assertThat(reader.cut()).isTrue();
    assertThat(reader.next()).isEqualTo("ij");
    assertThat(reader.cut()).isFalse();
    assertThat(reader.next()).isEqualTo("xy");
    assertThat(reader.cut()).isFalse();
    assertThat(reader.next()).isNull();
  }

  @Test
  void aLineThatIsNotUtf8IsMarkedMalformedAndTheNextOneIsNot() throws IOException {
    byte[] bytes = {'a', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '\n', 'b', '\n'};
    LineReader reader = new LineReader(new ByteArrayInputStream(bytes), 64);

    assertThat(reader.next()).startsWith("a").contains("\ufffd");
    assertThat(reader.malformed()).isTrue();
    assertThat(reader.next()).isEqualTo("b");
    assertThat(reader.malformed()).isFalse();
  }

  @Test
  void aLineOfExactlyTheLimitIsNotCut() throws IOException {
    LineReader reader = reader("abcd\nefgh", 4);

    assertThat(reader.next()).isEqualTo("abcd");
    assertThat(reader.cut()).isFalse();
    assertThat(reader.next()).isEqualTo("efgh");
    assertThat(reader.cut()).isFalse();
    assertThat(reader.next()).isNull();
  }

  @Test
  void aCutNeverSplitsAUtf8Character() throws IOException {
    // "aé€b": a (1 byte), é (2 bytes), € (3 bytes), b
    LineReader reader = reader("aé€b\n", 5);

    assertThat(reader.next()).isEqualTo("aé");
    assertThat(reader.cut()).isTrue();
    assertThat(reader.next()).isEqualTo("€b");
    assertThat(reader.cut()).isFalse();
  }

  @Test
  void linesSpanningManyReadsArriveWhole() throws IOException {
    String longLine = "x".repeat(50_000);
    InputStream trickle =
        new ByteArrayInputStream((longLine + "\nend\n").getBytes(StandardCharsets.UTF_8)) {
          @Override
          public synchronized int read(byte[] b, int off, int len) {
            return super.read(b, off, Math.min(len, 7));
          }
        };
    LineReader reader = new LineReader(trickle, 1 << 20);

    assertThat(all(reader)).containsExactly(longLine, "end");
  }

  private static LineReader reader(String text, int max) {
    return new LineReader(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), max);
  }

  private static List<String> all(LineReader reader) throws IOException {
    List<String> lines = new ArrayList<>();
    for (String line = reader.next(); line != null; line = reader.next()) {
      lines.add(line);
    }
    return lines;
  }
}
