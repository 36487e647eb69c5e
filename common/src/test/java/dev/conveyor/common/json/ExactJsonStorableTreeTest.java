package dev.conveyor.common.json;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.RawValue;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link ExactJson#storableTree} vouches only for trees whose written text {@link
 * ExactJson#storable} accepts, and does vouch for the plain ones a step usually makes.
 */
class ExactJsonStorableTreeTest {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final ObjectMapper JSON = ExactJson.mapper();

  @Test
  void vouchesForPlainTrees() throws JsonProcessingException {
    ObjectNode entity = NODES.objectNode();
    entity.put("kind", "company").put("surface", "Acme \ud83d\ude00 \u0001\ufffe").put("start", 3);
    entity.put("big", Long.MAX_VALUE).put("short", (short) -7).put("ok", false).putNull("none");
    entity.putArray("rows").add(entity.deepCopy()).add(NODES.arrayNode()).add(NODES.objectNode());
    for (JsonNode plain :
        new JsonNode[] {
          entity, NODES.textNode(""), NODES.numberNode(0), NODES.nullNode(), nested(999)
        }) {
      assertThat(ExactJson.storableTree(plain)).as(plain.toString()).isTrue();
      assertThat(ExactJson.storable(JSON.writeValueAsString(plain))).isTrue();
    }
  }

  @Test
  void leavesEveryOtherKindToTheTextCheck() {
    JsonNode[] notVouched = {
      object("t", NODES.textNode("x\u0000")),
      object("k\u0000", NODES.numberNode(1)),
      object("t", NODES.textNode("\ud800")),
      NODES.arrayNode().add("ok").add("x\ude00"),
      object("k\udbff", NODES.numberNode(1)),
      object("d", NODES.numberNode(new BigDecimal("1.50"))),
      object("d", NODES.numberNode(new BigDecimal("1e131072"))),
      object("b", NODES.numberNode(new BigInteger("123456789012345678901234567890"))),
      object("f", NODES.numberNode(1.5)),
      object("f", NODES.numberNode(Double.NaN)),
      object("f", NODES.numberNode(Float.POSITIVE_INFINITY)),
      object("p", NODES.pojoNode(new Object())),
      object("r", NODES.rawValueNode(new RawValue("NaN"))),
      object("bin", NODES.binaryNode(new byte[] {1, 2})),
      NODES.missingNode(),
      nested(1000),
      nested(1001),
      object(
          "n".repeat(ExactJson.mapper().getFactory().streamReadConstraints().getMaxNameLength()),
          NODES.numberNode(1))
    };
    for (JsonNode node : notVouched) {
      assertThat(ExactJson.storableTree(node)).as(abbreviated(node)).isFalse();
    }
    assertThat(ExactJson.storableTree(null)).isFalse();
  }

  @Test
  void whatItVouchesForTheTextCheckAcceptsOnRandomTrees() throws JsonProcessingException {
    Random random = new Random(16);
    int vouched = 0;
    for (int i = 0; i < 5_000; i++) {
      JsonNode tree = randomNode(random, 0);
      if (ExactJson.storableTree(tree)) {
        vouched++;
        String text = JSON.writeValueAsString(tree);
        assertThat(ExactJson.storable(text)).as(text).isTrue();
      }
    }
    assertThat(vouched).as("plain trees among the random ones: " + vouched).isBetween(500, 4_500);
  }

  private static JsonNode randomNode(Random random, int depth) {
    int kind = depth == 0 ? 8 + random.nextInt(3) : random.nextInt(depth > 4 ? 8 : 11);
    return switch (kind) {
      case 0 -> NODES.textNode(randomText(random));
      case 1 -> NODES.numberNode(random.nextInt());
      case 2 -> NODES.numberNode(random.nextLong());
      case 3 -> NODES.booleanNode(random.nextBoolean());
      case 4 -> NODES.nullNode();
      case 5 ->
          random.nextInt(20) == 0
              ? NODES.numberNode(new BigDecimal(random.nextInt(1000)).movePointLeft(2))
              : NODES.textNode("plain");
      case 6 ->
          random.nextInt(30) == 0 ? NODES.numberNode(random.nextDouble()) : NODES.numberNode(7);
      case 7 -> random.nextInt(30) == 0 ? NODES.pojoNode(random) : NODES.textNode("p");
      case 8, 9 -> {
        ArrayNode a = NODES.arrayNode();
        for (int n = random.nextInt(4); n > 0; n--) {
          a.add(randomNode(random, depth + 1));
        }
        yield a;
      }
      default -> {
        ObjectNode o = NODES.objectNode();
        for (int n = random.nextInt(4); n > 0; n--) {
          o.set(randomText(random), randomNode(random, depth + 1));
        }
        yield o;
      }
    };
  }

  /** Mostly plain text; now and then a NUL, a lone surrogate or a pair, or a control character. */
  private static String randomText(Random random) {
    StringBuilder s = new StringBuilder();
    for (int n = random.nextInt(6); n > 0; n--) {
      int pick = random.nextInt(24);
      switch (pick) {
        case 0 -> s.append('\u0000');
        case 1 -> s.append('\ud83d');
        case 2 -> s.append('\ude00');
        case 3 -> s.append("\ud83d\ude00");
        case 4 -> s.append('\u001f');
        case 5 -> s.append('"').append('\\');
        default -> s.append((char) ('a' + random.nextInt(26)));
      }
    }
    return s.toString();
  }

  /** {@code depth} arrays, one in another. */
  private static JsonNode nested(int depth) {
    ArrayNode root = NODES.arrayNode();
    ArrayNode a = root;
    for (int i = 1; i < depth; i++) {
      a = a.addArray();
    }
    return root;
  }

  private static ObjectNode object(String name, JsonNode value) {
    ObjectNode o = NODES.objectNode();
    o.set(name, value);
    return o;
  }

  private static String abbreviated(JsonNode node) {
    // why: toString() writes the tree, which refuses nesting past the write limit
    return node == null ? "null" : node.getNodeType() + " of " + node.size() + " members";
  }
}
