package dev.conveyor.e2e;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conveyor.cli.embedded.EmbeddedRun;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Real documents for the {@code ner} pipeline: the Debian copyright files of this machine (text
 * nobody here wrote), as {@code ner} tasks {@code {"text": ..., "source": ...}}.
 */
final class Corpus {
  private static final ObjectMapper JSON = new ObjectMapper();

  private Corpus() {}

  /**
   * The first {@code limit} copyright files of 200 B to 20 KB, in name order, ids doc-0, doc-1...
   */
  static List<EmbeddedRun.Input> documents(int limit) {
    List<Path> files = files(limit);
    List<EmbeddedRun.Input> tasks = new ArrayList<>();
    for (int i = 0; i < files.size(); i++) {
      tasks.add(new EmbeddedRun.Input("doc-" + i, payload(files.get(i))));
    }
    return tasks;
  }

  /**
   * At least {@code count} documents: every copyright file of 200 B to 20 KB, again and again, ids
   * {@code doc-<round>-<i>} (the same text under another id is another task).
   */
  static List<EmbeddedRun.Input> repeated(int count) {
    List<Path> files = files(Integer.MAX_VALUE);
    if (files.isEmpty()) {
      throw new IllegalStateException("no copyright files under /usr/share/doc");
    }
    List<ObjectNode> payloads = files.stream().map(Corpus::payload).toList();
    List<EmbeddedRun.Input> tasks = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      tasks.add(
          new EmbeddedRun.Input(
              "doc-" + i / payloads.size() + "-" + i % payloads.size(),
              payloads.get(i % payloads.size())));
    }
    return tasks;
  }

  private static List<Path> files(int limit) {
    try (Stream<Path> docs = Files.list(Path.of("/usr/share/doc"))) {
      return docs.map(d -> d.resolve("copyright"))
          .filter(Files::isRegularFile)
          .filter(f -> size(f) > 200 && size(f) <= 20_000)
          .sorted()
          .limit(limit)
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static ObjectNode payload(Path file) {
    try {
      String text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPLACE)
              .onUnmappableCharacter(CodingErrorAction.REPLACE)
              .decode(ByteBuffer.wrap(Files.readAllBytes(file)))
              .toString()
              .replace("\u0000", "");
      ObjectNode payload = JSON.createObjectNode();
      payload.put("text", text);
      payload.put("source", file.toString());
      return payload;
    } catch (CharacterCodingException e) {
      throw new IllegalStateException(file + ": " + e.getMessage(), e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static long size(Path f) {
    try {
      return Files.size(f);
    } catch (IOException e) {
      return -1;
    }
  }
}
