package dev.conveyor.runtime.work.command;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads UTF-8 lines from a stream, one piece of at most {@code max} bytes at a time, so that a
 * program that never writes a newline cannot make us buffer without bound. Not thread-safe: one
 * reader thread per stream.
 */
final class LineReader {
  private static final int BUFFER = 8192;

  private final InputStream in;
  private final int max;
  private final byte[] buf = new byte[BUFFER];
  private int pos;
  private int end;
  private byte[] line = new byte[256];
  private int len;
  private boolean cut;
  private boolean malformed;

  LineReader(InputStream in, int max) {
    if (max < 4) {
      throw new IllegalArgumentException("max must hold one UTF-8 character, was " + max);
    }
    this.in = in;
    this.max = max;
  }

  /**
   * The next line without its terminator ({@code \n} or {@code \r\n}), or {@code null} at the end
   * of the stream. A line longer than {@code max} bytes comes in pieces, each but the last one with
   * {@link #cut()} true; a piece never splits a UTF-8 character. An unterminated last line is
   * returned as it is.
   */
  String next() throws IOException {
    cut = false;
    malformed = false;
    while (true) {
      if (pos == end && !fill()) {
        return len == 0 ? null : emit(len, len);
      }
      int scanEnd = Math.min(end, pos + (max - len));
      int nl = indexOfNewline(pos, scanEnd);
      if (nl >= 0) {
        append(pos, nl);
        pos = nl + 1;
        return terminated();
      }
      append(pos, scanEnd);
      pos = scanEnd;
      if (len == max) {
        if (pos == end && !fill()) {
          return emit(len, len);
        }
        if (buf[pos] == '\n') {
          pos++;
          return terminated();
        }
        cut = true;
        int k = charBoundary();
        return emit(k, k);
      }
    }
  }

  /**
   * Whether the last piece {@link #next()} returned was not valid UTF-8: its bad bytes were
   * replaced by U+FFFD.
   */
  boolean malformed() {
    return malformed;
  }

  /** Whether the last piece {@link #next()} returned was cut from a longer line. */
  boolean cut() {
    return cut;
  }

  private String terminated() {
    int text = len > 0 && line[len - 1] == '\r' ? len - 1 : len;
    return emit(text, len);
  }

  /** Decodes the first {@code text} bytes, drops the first {@code consumed}, keeps the rest. */
  private String emit(int text, int consumed) {
    String s;
    try {
      s =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(line, 0, text))
              .toString();
    } catch (CharacterCodingException e) {
      malformed = true;
      s = new String(line, 0, text, StandardCharsets.UTF_8);
    }
    System.arraycopy(line, consumed, line, 0, len - consumed);
    len -= consumed;
    return s;
  }

  /** Where to cut a full line so that its last UTF-8 character stays whole. */
  private int charBoundary() {
    int start = len - 1;
    while (start > 0 && (line[start] & 0xC0) == 0x80) {
      start--;
    }
    int lead = line[start] & 0xFF;
    int width = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    return start > 0 && start + width > len ? start : len;
  }

  private boolean fill() throws IOException {
    int n = in.read(buf);
    if (n < 0) {
      return false;
    }
    pos = 0;
    end = n;
    return true;
  }

  private int indexOfNewline(int from, int to) {
    for (int i = from; i < to; i++) {
      if (buf[i] == '\n') {
        return i;
      }
    }
    return -1;
  }

  private void append(int from, int to) {
    int n = to - from;
    if (len + n > line.length) {
      line = Arrays.copyOf(line, Math.max(len + n, Math.min(max, line.length * 2)));
    }
    System.arraycopy(buf, from, line, len, n);
    len += n;
  }
}
