package dev.conveyor.runtime.resource;

import dev.conveyor.runtime.step.StepContext.SharedResource;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * The UTF-8 lines of a shared resource, decoded one at a time from the mapped bytes: iterating a
 * 200 MB gazetteer holds one line on the heap at a time, not the file. (What a step builds from the
 * lines, say a set of names, is heap of its own: see {@link SharedResources#computeShared} to build
 * it once per JVM instead of once per worker.)
 *
 * <p>A line ends at {@code \n}; a {@code \r} right before it is dropped, so CRLF files read the
 * same as LF files. The last line needs no line end, and a file that ends with one has no empty
 * line after it. A UTF-8 byte order mark at the start is skipped. Bytes that are not valid UTF-8
 * throw a {@link ResourceException} that names the resource and the line.
 *
 * <p>Each iterator reads its own view, so several threads may iterate at once.
 */
public final class TextLines implements Iterable<String> {
  private final SharedResource resource;

  TextLines(SharedResource resource) {
    this.resource = resource;
  }

  @Override
  public Iterator<String> iterator() {
    return new LineIterator(resource);
  }

  /** The lines as a sequential stream. */
  public Stream<String> stream() {
    return StreamSupport.stream(
        Spliterators.spliteratorUnknownSize(
            iterator(), Spliterator.ORDERED | Spliterator.NONNULL | Spliterator.IMMUTABLE),
        false);
  }

  private static final class LineIterator implements Iterator<String> {
    private final SharedResource resource;
    private final ByteBuffer bytes;
    private final CharsetDecoder decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    private int position;
    private long lineNumber;

    LineIterator(SharedResource resource) {
      this.resource = resource;
      this.bytes = resource.bytes();
      if (bytes.remaining() >= 3
          && bytes.get(0) == (byte) 0xEF
          && bytes.get(1) == (byte) 0xBB
          && bytes.get(2) == (byte) 0xBF) {
        position = 3;
      }
    }

    @Override
    public boolean hasNext() {
      return position < bytes.limit();
    }

    @Override
    public String next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      int start = position;
      int limit = bytes.limit();
      int end = start;
      while (end < limit && bytes.get(end) != '\n') {
        end++;
      }
      position = end < limit ? end + 1 : end;
      if (end > start && bytes.get(end - 1) == '\r') {
        end--;
      }
      lineNumber++;
      try {
        return decoder.decode(bytes.slice(start, end - start)).toString();
      } catch (CharacterCodingException e) {
        String problem = "line " + lineNumber + " is not valid UTF-8";
        throw resource instanceof MappedResource mapped
            ? new ResourceException(resource.name(), mapped.path(), problem, e)
            : new ResourceException(resource.name(), problem, e);
      }
    }
  }
}
