package dev.conveyor.runtime.work.command;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The files of a command step whose change makes it reload: the program files (the files its
 * command names: the program when given as a path, and each argument that names a file of the
 * working directory, such as {@code steps/person.py}) and its resource files. A check costs one
 * {@code stat} per file; a program file whose size or mtime changed is also hashed (SHA-256), so
 * that a {@code touch} or a rewrite with the same content reloads nothing. A resource file is
 * compared by size, mtime and file key (inode), not hashed: resources may be gigabytes, and a
 * replacement by rename changes the inode. Not thread-safe: its owner serialises the calls.
 */
final class WatchedFiles {
  /** What changed, in the words of the {@code step_reloaded} event. */
  static final String PROGRAM_CHANGED = "program_changed";

  static final String RESOURCE_CHANGED = "resource_changed";

  private final Map<Path, Boolean> files; // path → whether it is a program file
  private final Map<Path, Stamp> seen = new HashMap<>();

  /** Size, mtime and file key of a file as last seen, and the hash of a program file. */
  private record Stamp(long size, long modified, Object key, String hash) {
    static final Stamp MISSING = new Stamp(-1, -1, null, "");

    boolean sameMetadata(Stamp other) {
      return size == other.size && modified == other.modified && Objects.equals(key, other.key);
    }
  }

  private WatchedFiles(Map<Path, Boolean> files) {
    this.files = files;
  }

  /**
   * The files of a step: the files its {@code command} names in {@code directory} (the interpreter
   * looked up on {@code PATH} is not one), and its resources.
   */
  static WatchedFiles of(List<String> command, Path directory, Map<String, Path> resources) {
    Map<Path, Boolean> files = new LinkedHashMap<>();
    for (int i = 0; i < command.size(); i++) {
      String arg = command.get(i);
      if (arg.isEmpty() || (i == 0 && arg.indexOf('/') < 0)) {
        continue;
      }
      Path file = directory.resolve(arg).normalize();
      if (Files.isRegularFile(file)) {
        files.put(file, true);
      }
    }
    for (Path r : resources.values()) {
      files.putIfAbsent(r.toAbsolutePath().normalize(), false);
    }
    return new WatchedFiles(files);
  }

  /** The files watched, program files first. */
  List<Path> paths() {
    return List.copyOf(files.keySet());
  }

  /** Takes the files as they are now as the baseline of {@link #changed()}. */
  void remember() {
    for (Path file : files.keySet()) {
      seen.put(file, stamp(file, null));
    }
  }

  /**
   * Whether a file changed since the last {@link #remember()}: {@link #PROGRAM_CHANGED} when a
   * program file did (first), else {@link #RESOURCE_CHANGED}. A file that disappeared counts as
   * changed only once it is back (a deploy that removes and re-creates it is not caught halfway).
   */
  Optional<String> changed() {
    String reason = null;
    for (var e : files.entrySet()) {
      Path file = e.getKey();
      Stamp before = seen.getOrDefault(file, Stamp.MISSING);
      Stamp now = stamp(file, before);
      if (now == Stamp.MISSING || now.equals(before)) {
        continue;
      }
      if (e.getValue() && now.hash().equals(before.hash())) {
        // why: the same content again (touch, identical copy): take the new metadata, no reload
        seen.put(file, now);
        continue;
      }
      if (e.getValue()) {
        return Optional.of(PROGRAM_CHANGED);
      }
      reason = RESOURCE_CHANGED;
    }
    return Optional.ofNullable(reason);
  }

  /** The file as it is; the hash of {@code before} is reused when its metadata did not change. */
  private Stamp stamp(Path file, Stamp before) {
    BasicFileAttributes a;
    try {
      a = Files.readAttributes(file, BasicFileAttributes.class);
    } catch (IOException e) {
      return Stamp.MISSING;
    }
    Stamp meta = new Stamp(a.size(), a.lastModifiedTime().toMillis(), a.fileKey(), "");
    if (!files.getOrDefault(file, false)) {
      return meta;
    }
    if (before != null && before.sameMetadata(meta)) {
      return before;
    }
    return new Stamp(meta.size(), meta.modified(), meta.key(), hash(file));
  }

  private static String hash(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[64 * 1024];
      for (int n; (n = in.read(buf)) > 0; ) {
        sha.update(buf, 0, n);
      }
      return HexFormat.of().formatHex(sha.digest());
    } catch (IOException e) {
      // why: unreadable for a moment (a deploy under way); a later check sees it again
      return "unreadable";
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
