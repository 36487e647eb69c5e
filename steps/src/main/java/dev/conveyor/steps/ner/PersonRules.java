package dev.conveyor.steps.ner;

import static dev.conveyor.steps.ner.CodePoints.isCapital;
import static dev.conveyor.steps.ner.CodePoints.isDigit;
import static dev.conveyor.steps.ner.CodePoints.isLetter;
import static dev.conveyor.steps.ner.CodePoints.isLineSpaceGap;
import static dev.conveyor.steps.ner.CodePoints.isLower;
import static dev.conveyor.steps.ner.CodePoints.isMark;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Finds person names: a first name from the gazetteer, then up to three middle initials, then one
 * to four surnames, each perhaps after up to three particles. {@code
 * deploy/pipelines/steps/person.py} implements the same rules line by line; change both.
 *
 * <p>The rules, on words (runs of letters, combining marks and digits, joined across a single
 * {@code -}, {@code '} or {@code ’} when a letter or digit follows; a trailing {@code 's} is not
 * part of a word):
 *
 * <ol>
 *   <li>A name starts at a word that is a first name: in the gazetteer, or hyphenated with every
 *       piece in it ("Mary-Jane"). Not after {@code San}, {@code St.}, {@code Santa}, ... ({@link
 *       PersonWords#saints()}).
 *   <li>Then up to three initials: one capital followed by {@code .} ("Jane Q. Smith", "J.R.").
 *   <li>Then up to four name elements, each a surname, or one to three particles ({@code van},
 *       {@code de la}, {@code Van}, ...) followed by a surname. A surname starts with a capital
 *       (after an optional {@code al-}, {@code el-} or {@code d'}), has at least two letters, at
 *       least one lowercase letter, no digit, capitals after each hyphen, and is not a particle nor
 *       in {@link PersonWords#notSurnames()}.
 *   <li>The pieces are separated by spaces within the line only (after an initial's period, none is
 *       needed before another initial): punctuation, line breaks and sentence ends end a name.
 *   <li>A first name with no surname after it is no person ("May I", "Rose said"); titles are never
 *       part of the name, as they are not first names.
 * </ol>
 *
 * The word lists (particles, saints, ...) are a {@link PersonWords}. Thread-safe once built; the
 * gazetteer set must not change.
 */
final class PersonRules {
  private static final int MAX_INITIALS = 3;
  private static final int MAX_NAME_ELEMENTS = 4;
  private static final int MAX_PARTICLES = 3;

  private final Set<String> firstNames;
  private final PersonWords lists;

  PersonRules(Set<String> firstNames, PersonWords lists) {
    this.firstNames = Objects.requireNonNull(firstNames, "firstNames");
    this.lists = Objects.requireNonNull(lists, "lists");
  }

  /** A word: {@code [start, end)} in code points of the part. */
  record Word(int start, int end, String text) {}

  /** The persons in {@code text}, offsets shifted by {@code offset}, in text order. */
  List<Entity> find(String text, int offset) {
    int[] cps = text.codePoints().toArray();
    List<Word> words = words(cps);
    List<Entity> found = new ArrayList<>();
    int k = 0;
    while (k < words.size()) {
      Word first = words.get(k);
      if (!isFirstName(first.text()) || followsSaint(cps, words, k)) {
        k++;
        continue;
      }
      int pos = k + 1;
      int cur = first.end();
      int initials = 0;
      boolean afterInitial = false;
      while (pos < words.size() && initials < MAX_INITIALS) {
        Word w = words.get(pos);
        boolean joined = isLineSpaceGap(cps, cur, w.start()) || (afterInitial && cur == w.start());
        if (!isInitial(cps, w) || !joined) {
          break;
        }
        cur = w.end() + 1;
        pos++;
        initials++;
        afterInitial = true;
      }
      int end = -1;
      int elements = 0;
      while (pos < words.size() && elements < MAX_NAME_ELEMENTS) {
        Word w = words.get(pos);
        if (!isLineSpaceGap(cps, cur, w.start())) {
          break;
        }
        if (isParticle(w.text())) {
          int q = pos;
          int particleEnd = cur;
          int particles = 0;
          while (q < words.size()
              && particles < MAX_PARTICLES
              && isParticle(words.get(q).text())
              && isLineSpaceGap(cps, particleEnd, words.get(q).start())) {
            particleEnd = words.get(q).end();
            q++;
            particles++;
          }
          if (q < words.size()
              && isLineSpaceGap(cps, particleEnd, words.get(q).start())
              && isSurname(words.get(q).text())) {
            cur = words.get(q).end();
            end = cur;
            pos = q + 1;
            elements++;
            continue;
          }
          break;
        }
        if (isSurname(w.text())) {
          cur = w.end();
          end = cur;
          pos++;
          elements++;
          continue;
        }
        break;
      }
      if (end < 0) {
        k++;
        continue;
      }
      found.add(
          new Entity(
              Entity.PERSON,
              CodePoints.text(cps, first.start(), end),
              offset + first.start(),
              offset + end));
      k = pos;
    }
    return found;
  }

  /** The words of the text, as the class comment defines them. */
  static List<Word> words(int[] cps) {
    List<Word> words = new ArrayList<>();
    int n = cps.length;
    int i = 0;
    while (i < n) {
      if (!isWordStart(cps[i])) {
        i++;
        continue;
      }
      int start = i;
      i++;
      while (true) {
        while (i < n && isWordPart(cps[i])) {
          i++;
        }
        if (i + 1 < n && isJoiner(cps[i]) && isWordStart(cps[i + 1]) && !isPossessive(cps, i)) {
          i++;
          continue;
        }
        break;
      }
      words.add(new Word(start, i, CodePoints.text(cps, start, i)));
    }
    return words;
  }

  boolean isFirstName(String word) {
    if (firstNames.contains(word)) {
      return true;
    }
    if (word.indexOf('-') < 0) {
      return false;
    }
    for (String piece : word.split("-", -1)) {
      if (!firstNames.contains(piece)) {
        return false;
      }
    }
    return true;
  }

  boolean isParticle(String word) {
    return lists.particles().contains(word) || lists.capitalParticles().contains(word);
  }

  boolean isSurname(String word) {
    if (lists.notSurnames().contains(word) || isParticle(word)) {
      return false;
    }
    String rest = word;
    for (String prefix : lists.surnamePrefixes()) {
      if (word.startsWith(prefix)) {
        rest = word.substring(prefix.length());
        break;
      }
    }
    int[] cps = rest.codePoints().toArray();
    if (cps.length < 2 || !isCapital(cps[0])) {
      return false;
    }
    boolean lower = false;
    boolean pieceStart = true;
    for (int cp : cps) {
      if (isDigit(cp)) {
        return false;
      }
      if (pieceStart && !isCapital(cp)) {
        return false;
      }
      pieceStart = cp == '-';
      lower |= isLower(cp);
    }
    return lower && !pieceStart;
  }

  private static boolean isInitial(int[] cps, Word w) {
    return w.end() - w.start() == 1
        && Character.getType(cps[w.start()]) == Character.UPPERCASE_LETTER
        && w.end() < cps.length
        && cps[w.end()] == '.';
  }

  private boolean followsSaint(int[] cps, List<Word> words, int k) {
    if (k == 0 || !lists.saints().contains(words.get(k - 1).text())) {
      return false;
    }
    int from = words.get(k - 1).end();
    int to = words.get(k).start();
    if (from < cps.length && cps[from] == '.') {
      from++;
    }
    return isLineSpaceGap(cps, from, to);
  }

  private static boolean isWordStart(int cp) {
    return isLetter(cp) || isDigit(cp);
  }

  private static boolean isWordPart(int cp) {
    return isLetter(cp) || isMark(cp) || isDigit(cp);
  }

  private static boolean isJoiner(int cp) {
    return cp == '-' || cp == '\'' || cp == '\u2019' || cp == '\u2010';
  }

  /** {@code 's} at the end of a word: "Smith's" is the word "Smith". */
  private static boolean isPossessive(int[] cps, int i) {
    return (cps[i] == '\'' || cps[i] == '\u2019')
        && cps[i + 1] == 's'
        && (i + 2 == cps.length || !isWordPart(cps[i + 2]));
  }
}
