package dev.conveyor.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conveyor.common.json.ExactJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * What checking a {@code java} step's output costs the processor, per output: reading the written
 * text back in one pass ({@link ExactJson#storable}, the baseline: every output was checked so)
 * against walking the tree the step answered ({@link ExactJson#storableTree}, which vouches for
 * trees of strings, integers, booleans and nulls). Outputs shaped as {@code ner}'s: a recogniser's
 * entities, a task's assembled rows, and an {@code identity} document. In-process, median of the
 * rounds after a warm-up. Run with {@code deploy/bin/bench outputCheck}.
 */
class OutputCheckBench {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final int ROUNDS = 7;
  private static final int CALLS = 200_000;

  @Test
  void outputCheck() throws IOException {
    Map<String, JsonNode> outputs = new LinkedHashMap<>();
    outputs.put("a recogniser's 6 entities", entities(6, false));
    outputs.put("a task's 30 assembled rows", entities(30, true));
    ObjectNode document = NODES.objectNode();
    document.put("id", "doc-42").put("text", "Acme Holdings Ltd hired Jane Doe. ".repeat(58));
    outputs.put("an identity document (2,000 characters of text)", document);
    StringBuilder md = new StringBuilder();
    md.append("### Checking a java step's output\n\n`deploy/bin/bench outputCheck` — ")
        .append(BenchReport.Machine.describe())
        .append(String.format(Locale.ROOT, ", median of %d rounds of %,d calls%n%n", ROUNDS, CALLS))
        .append("| output | characters | text read back (ns) | tree walked (ns) |\n")
        .append("|---|---:|---:|---:|\n");
    for (var o : outputs.entrySet()) {
      JsonNode tree = o.getValue();
      String text = ExactJson.mapper().writeValueAsString(tree);
      if (!ExactJson.storable(text) || !ExactJson.storableTree(tree)) {
        throw new IllegalStateException("not a plain storable output: " + o.getKey());
      }
      double textNs = nanosPerCall(() -> ExactJson.storable(text));
      double treeNs = nanosPerCall(() -> ExactJson.storableTree(tree));
      md.append(
          String.format(
              Locale.ROOT,
              "| %s | %,d | %,.0f | %,.0f |%n",
              o.getKey(),
              text.length(),
              textNs,
              treeNs));
    }
    Path out = Repo.root().resolve("e2e/target/bench/output-check.md");
    Files.createDirectories(out.getParent());
    Files.writeString(out, md);
    System.out.println(md);
  }

  private static ObjectNode entities(int n, boolean rows) {
    ObjectNode root = NODES.objectNode();
    ArrayNode array = root.putArray(rows ? "rows" : "entities");
    for (int i = 0; i < n; i++) {
      ObjectNode e = array.addObject();
      e.put("kind", i % 2 == 0 ? "company" : "person")
          .put("surface", i % 2 == 0 ? "Acme Holdings Ltd " + i : "Jane Doe")
          .put("start_offset", 100 * i)
          .put("end_offset", 100 * i + 17);
      if (rows) {
        e.put("part", i / 6);
      }
    }
    return root;
  }

  private static double nanosPerCall(BooleanSupplier check) {
    double[] rounds = new double[ROUNDS];
    boolean all = true;
    for (int r = -2; r < ROUNDS; r++) {
      long start = System.nanoTime();
      for (int i = 0; i < CALLS; i++) {
        all &= check.getAsBoolean();
      }
      if (r >= 0) {
        rounds[r] = (System.nanoTime() - start) / (double) CALLS;
      }
    }
    if (!all) {
      throw new IllegalStateException("a check said no");
    }
    Arrays.sort(rounds);
    return rounds[ROUNDS / 2];
  }
}
