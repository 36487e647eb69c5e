package dev.conveyor.e2e;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conveyor.cli.embedded.EmbeddedRun;
import dev.conveyor.common.test.TestServices;
import dev.conveyor.runtime.pipeline.PipelineLoader;
import dev.conveyor.runtime.resource.SharedResources;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Real documents for the {@code ner} pipeline — the Debian copyright files of this machine, text
 * nobody here wrote — and the rows of {@code conveyor.ner_entities} in one comparable form.
 */
final class NerCorpus {
  private static final ObjectMapper JSON = new ObjectMapper();

  private NerCorpus() {}

  /** The first {@code count} copyright files of at most 20 KB, in name order, as ner tasks. */
  static List<EmbeddedRun.Input> documents(int count) throws IOException {
    List<Path> files;
    try (Stream<Path> docs = Files.list(Path.of("/usr/share/doc"))) {
      files =
          docs.map(d -> d.resolve("copyright"))
              .filter(Files::isRegularFile)
              .filter(f -> size(f) > 200 && size(f) <= 20_000)
              .sorted()
              .limit(count)
              .toList();
    }
    List<EmbeddedRun.Input> tasks = new ArrayList<>();
    for (int i = 0; i < files.size(); i++) {
      String text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPLACE)
              .onUnmappableCharacter(CodingErrorAction.REPLACE)
              .decode(ByteBuffer.wrap(Files.readAllBytes(files.get(i))))
              .toString()
              .replace("\u0000", "");
      ObjectNode payload = JSON.createObjectNode();
      payload.put("text", text);
      payload.put("source", files.get(i).toString());
      tasks.add(new EmbeddedRun.Input("doc-" + i, payload));
    }
    return tasks;
  }

  private static long size(Path f) {
    try {
      return Files.size(f);
    } catch (IOException e) {
      return -1;
    }
  }

  /** Every row of {@code conveyor.ner_entities}, in key order (byte order of the task ids). */
  static List<Map<String, Object>> rows(TestServices services) throws java.sql.SQLException {
    try (var c = services.dataSource().getConnection()) {
      return rows(c);
    }
  }

  /** {@link #rows(TestServices)} over a connection of the caller's. */
  static List<Map<String, Object>> rows(java.sql.Connection c) throws java.sql.SQLException {
    List<Map<String, Object>> rows = new ArrayList<>();
    try (var s = c.createStatement();
        var rs =
            s.executeQuery(
                "SELECT task_id, kind, surface, start_offset, end_offset, part"
                    + " FROM conveyor.ner_entities"
                    + " ORDER BY task_id COLLATE \"C\", kind COLLATE \"C\", start_offset")) {
      while (rs.next()) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("task_id", rs.getString(1));
        row.put("kind", rs.getString(2));
        row.put("surface", rs.getString(3));
        row.put("start_offset", rs.getInt(4));
        row.put("end_offset", rs.getInt(5));
        row.put("part", rs.getInt(6));
        rows.add(row);
      }
    }
    return rows;
  }

  /**
   * What {@code conveyor run} delivers for {@code documents} with {@code pipeline}, in one process.
   */
  static List<Map<String, Object>> expectedRows(Path pipeline, List<EmbeddedRun.Input> documents)
      throws Exception {
    try (EmbeddedRun run =
        new EmbeddedRun(PipelineLoader.loadFile(pipeline), new SharedResources()).start()) {
      return normal(run.run(documents).rows());
    }
  }

  /** Rows of an embedded run in the form of {@link #rows}, in the same order. */
  static List<Map<String, Object>> normal(List<ObjectNode> rows) {
    List<Map<String, Object>> out = new ArrayList<>(rows.size());
    for (ObjectNode row : rows) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("task_id", row.get("task_id").asText());
      m.put("kind", row.get("kind").asText());
      m.put("surface", row.get("surface").asText());
      m.put("start_offset", row.get("start_offset").asInt());
      m.put("end_offset", row.get("end_offset").asInt());
      m.put("part", row.get("part").asInt());
      out.add(m);
    }
    return out;
  }
}
