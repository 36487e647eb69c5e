package dev.conveyor.runtime.split;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conveyor.runtime.pipeline.SplitRule;
import dev.conveyor.runtime.pipeline.SplitRule.Mode;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SplitterTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static final String ENGLISH =
      "Acme Widgets Ltd. hired Jane Smith as chief engineer on Monday. She starts in March!"
          + " Will the board approve the new budget before the summer? Nobody knows yet, but"
          + " the shareholders are optimistic.\n\nIn other news, the company opened a second"
          + " plant near Springfield, which employs about four hundred people.";
  private static final String GERMAN =
      "Die Acme Widgets GmbH hat Jane Smith als Chefingenieurin eingestellt. Sie beginnt im"
          + " März in München! Die Übergröße der Straßenbahnhaltestellenüberdachung ist kein"
          + " Problem, sagt der Bürgermeister. Ob das stimmt, weiß niemand so genau.\n\n"
          + "Weitere Nachrichten folgen später.";
  private static final String JAPANESE =
      "東京タワーは東京都港区にある電波塔です。高さは三百三十三メートルです。一九五八年に完成しました。"
          + "夜になるとライトアップされ、多くの観光客が訪れます。近くには増上寺もあります。";
  private static final String CHINESE =
      "北京是中华人民共和国的首都。它有三千多年的历史！长城就在北京附近吗？是的，很多游客每年都来参观。" + "故宫也是一个非常有名的地方。";
  private static final String EMOJI =
      "Party 🎉🎉🎉 time! The family 👩‍👩‍👧‍👦 arrived 🙂👍🏽 and everyone was happy 😀😃😄😁."
          + " Then it rained 🌧️🌧️🌧️ all afternoon, so we stayed inside 🏠 and played games 🎲♟️🃏.";
  private static final List<String> TEXTS =
      List.of(
          ENGLISH,
          GERMAN,
          JAPANESE,
          CHINESE,
          EMOJI,
          ENGLISH + "\n\n" + GERMAN + "\n\n" + JAPANESE + CHINESE + " " + EMOJI,
          "x" + "🙂".repeat(300),
          "Rindfleischetikettierungsüberwachungsaufgabenübertragungsgesetz".repeat(5));

  @Test
  void modeNoneGivesThePayloadAsTheOnePart() throws Exception {
    ObjectNode payload = object("{\"text\":\"" + "word ".repeat(1000) + "\",\"lang\":\"en\"}");

    List<ObjectNode> parts = Splitter.split(SplitRule.NONE, payload).orElseThrow();

    assertThat(parts).containsExactly(payload);
  }

  @Test
  void aCutRightAfterAFullStopDoesNotLeaveAPartOfOneSpace() {
    String text = "a".repeat(49) + ". " + "next words follow here and then some more ".repeat(3);

    List<String> slices = Splitter.cut(text, 50);

    assertThat(String.join("", slices)).isEqualTo(text);
    assertThat(slices).allMatch(slice -> !slice.isBlank());
    assertThat(slices.get(1)).startsWith(" next words");
  }

  @Test
  void modeNoneNeedsNoTextField() throws Exception {
    ObjectNode payload = object("{\"numbers\":[1,2,3]}");

    assertThat(Splitter.split(SplitRule.NONE, payload)).contains(List.of(payload));
  }

  @ParameterizedTest
  @ValueSource(ints = {50, 60, 61, 77, 200, 5000})
  void partsConcatenateBackToTheTextExactly(int maxChars) {
    for (String text : TEXTS) {
      List<ObjectNode> parts = split(text, maxChars);

      assertThat(String.join("", texts(parts))).isEqualTo(text);
      assertThat(parts).allSatisfy(p -> assertThat(p.get("text").textValue()).isNotEmpty());
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {50, 60, 61, 77, 200})
  void noPartIsLongerThanMaxChars(int maxChars) {
    for (String text : TEXTS) {
      assertThat(texts(split(text, maxChars)))
          .allSatisfy(t -> assertThat(t.length()).isLessThanOrEqualTo(maxChars));
    }
  }

  @Test
  void aTextThatFitsIsOnePart() {
    assertThat(texts(split("Jane Smith joined Acme.", 50)))
        .containsExactly("Jane Smith joined Acme.");
    String exactly = "x".repeat(60);
    assertThat(texts(split(exactly, 60))).containsExactly(exactly);
  }

  @Test
  void aParagraphBreakIsPreferredToALaterSentenceEnd() {
    String text =
        "Short intro line.\n\nSecond paragraph starts. It has two sentences and more words.";

    assertThat(texts(split(text, 60)))
        .containsExactly(
            "Short intro line.\n\n",
            "Second paragraph starts. ",
            "It has two sentences and more words.");
  }

  @Test
  void aSentenceEndIsPreferredToALaterSpace() {
    String text = "Jane Smith joined Acme. She works in Berlin now and likes the city a lot.";

    assertThat(texts(split(text, 60)))
        .containsExactly(
            "Jane Smith joined Acme. ", "She works in Berlin now and likes the city a lot.");
  }

  @Test
  void exclamationAndQuestionMarksEndSentencesToo() {
    String text = "Sie beginnt im März! Wer hätte das gedacht? Niemand in München oder Köln.";

    assertThat(texts(split(text, 60)))
        .containsExactly(
            "Sie beginnt im März! Wer hätte das gedacht? ", "Niemand in München oder Köln.");
  }

  @Test
  void withoutSentenceEndsTheTextIsCutAfterTheLastSpaceInTheWindow() {
    String text =
        "Die Straßenbahn fährt heute wegen Bauarbeiten nur bis zum Hauptbahnhof und nicht weiter";

    List<String> parts = texts(split(text, 60));

    assertThat(parts)
        .containsExactly(
            "Die Straßenbahn fährt heute wegen Bauarbeiten nur bis zum ",
            "Hauptbahnhof und nicht weiter");
  }

  @Test
  void wordsShorterThanMaxCharsAreNeverCut() {
    for (String text : List.of(ENGLISH, GERMAN)) {
      List<String> parts = texts(split(text, 50));

      assertThat(parts.subList(0, parts.size() - 1))
          .as("every cut falls after whitespace")
          .allSatisfy(p -> assertThat(Character.isWhitespace(p.charAt(p.length() - 1))).isTrue());
    }
  }

  @Test
  void aWordLongerThanMaxCharsIsCut() {
    String word = "Rindfleischetikettierungsüberwachungsaufgabenübertragungsgesetz";
    assertThat(word).hasSizeGreaterThan(50);

    List<String> parts = texts(split("Das " + word + " wurde 2013 aufgehoben.", 50));

    assertThat(parts)
        .containsExactly(
            "Das ", word.substring(0, 50), word.substring(50) + " wurde 2013 aufgehoben.");
  }

  @Test
  void aSurrogatePairIsNeverSplit() {
    String text = "x" + "🙂".repeat(100);

    List<String> parts = texts(split(text, 60));

    assertThat(parts).hasSizeGreaterThan(3);
    assertThat(parts.getFirst()).isEqualTo("x" + "🙂".repeat(29));
    for (String p : parts) {
      assertThat(
              p.codePoints()
                  .filter(cp -> cp >= Character.MIN_SURROGATE && cp <= Character.MAX_SURROGATE))
          .as("no lone surrogate in %s", p)
          .isEmpty();
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {50, 51, 60, 61, 77})
  void noPartOfAnyTextStartsOrEndsInsideASurrogatePair(int maxChars) {
    for (String text : TEXTS) {
      for (String p : texts(split(text, maxChars))) {
        assertThat(Character.isLowSurrogate(p.charAt(0))).as("starts %s", p).isFalse();
        assertThat(Character.isHighSurrogate(p.charAt(p.length() - 1))).as("ends %s", p).isFalse();
      }
    }
  }

  @Test
  void japaneseTextIsCutAfterTheLastFullStopInTheWindow() {
    List<String> parts = texts(split(JAPANESE, 60));

    assertThat(parts)
        .containsExactly(
            "東京タワーは東京都港区にある電波塔です。高さは三百三十三メートルです。一九五八年に完成しました。",
            "夜になるとライトアップされ、多くの観光客が訪れます。近くには増上寺もあります。");
  }

  @Test
  void chineseTextIsCutAfterAFullWidthStop() {
    List<String> parts = texts(split(CHINESE, 50));

    assertThat(parts)
        .containsExactly("北京是中华人民共和国的首都。它有三千多年的历史！长城就在北京附近吗？是的，很多游客每年都来参观。", "故宫也是一个非常有名的地方。");
    assertThat(texts(split(CHINESE.substring(0, 24) + "很".repeat(40), 50)))
        .as("！ ends a sentence")
        .first()
        .isEqualTo("北京是中华人民共和国的首都。它有三千多年的历史！");
  }

  @Test
  void offsetsAreCodePointOffsetsInTheWholeText() {
    String text = "🙂🙂🙂 Emoji come first here. " + GERMAN + " 👩‍👩‍👧‍👦 " + JAPANESE;

    List<ObjectNode> parts = split(text, 50);

    assertThat(parts).hasSizeGreaterThan(3);
    int expected = 0;
    for (ObjectNode part : parts) {
      String t = part.get("text").textValue();
      int offset = part.get("offset").intValue();
      assertThat(offset).isEqualTo(expected);
      assertThat(text.substring(text.offsetByCodePoints(0, offset))).startsWith(t);
      expected += t.codePointCount(0, t.length());
    }
    int second = parts.get(1).get("offset").intValue();
    int secondUtf16 = parts.getFirst().get("text").textValue().length();
    assertThat(second)
        .as("three emoji before: 3 fewer code points than UTF-16 units")
        .isEqualTo(secondUtf16 - 3);
  }

  @Test
  void theConfiguredFieldIsSplitAndPartsCarryOnlyTextAndOffset() throws Exception {
    ObjectNode payload =
        object(
            "{\"body\":\"Jane Smith joined Acme. She works in Berlin now and likes it a lot.\",\"lang\":\"en\"}");

    List<ObjectNode> parts =
        Splitter.split(new SplitRule(Mode.TEXT, "body", 50), payload).orElseThrow();

    assertThat(parts).hasSize(2);
    assertThat(parts.getFirst().toString())
        .isEqualTo("{\"text\":\"Jane Smith joined Acme. \",\"offset\":0}");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{}",
        "{\"body\":\"x\"}",
        "{\"text\":null}",
        "{\"text\":42}",
        "{\"text\":[\"a\"]}",
        "{\"text\":{\"a\":\"b\"}}",
        "{\"text\":true}"
      })
  void aMissingOrNonStringTextFieldCannotBeSplit(String payload) throws Exception {
    assertThat(Splitter.split(new SplitRule(Mode.TEXT, "text", 60), object(payload))).isEmpty();
  }

  @Test
  void anEmptyTextIsOneEmptyPart() throws Exception {
    Optional<List<ObjectNode>> parts =
        Splitter.split(new SplitRule(Mode.TEXT, "text", 60), object("{\"text\":\"\"}"));

    assertThat(parts).isPresent();
    assertThat(parts.get()).hasSize(1);
    assertThat(parts.get().getFirst().toString()).isEqualTo("{\"text\":\"\",\"offset\":0}");
  }

  private static List<ObjectNode> split(String text, int maxChars) {
    ObjectNode payload = JSON.createObjectNode().put("text", text);
    return Splitter.split(new SplitRule(Mode.TEXT, "text", maxChars), payload).orElseThrow();
  }

  private static List<String> texts(List<ObjectNode> parts) {
    return parts.stream().map(p -> p.get("text").textValue()).toList();
  }

  private static ObjectNode object(String json) throws Exception {
    return (ObjectNode) JSON.readTree(json);
  }
}
