package dev.conveyor.runtime.resource;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;

/**
 * What makes two acquisitions the same file: its real path (links and {@code ..} resolved), size,
 * modification time and, where the file system has one, its file key (device and inode). A file
 * replaced by another is a new identity, so it is mapped anew while holders of the old one keep
 * reading the old content.
 *
 * @param fileKey the file system's key for the file, or {@code null} when it has none
 */
record FileIdentity(Path path, long size, FileTime lastModified, Object fileKey) {

  static FileIdentity of(String name, Path file) {
    try {
      Path real = file.toRealPath();
      BasicFileAttributes attributes = Files.readAttributes(real, BasicFileAttributes.class);
      if (!attributes.isRegularFile()) {
        throw new ResourceException(name, file, "not a regular file");
      }
      if (attributes.size() > SharedResources.MAX_BYTES) {
        throw new ResourceException(
            name,
            file,
            "the file has "
                + attributes.size()
                + " bytes; a shared resource is read through one ByteBuffer and may have at most "
                + SharedResources.MAX_BYTES
                + " (2 GiB - 1)");
      }
      return new FileIdentity(
          real, attributes.size(), attributes.lastModifiedTime(), attributes.fileKey());
    } catch (NoSuchFileException e) {
      throw new ResourceException(name, file, "no such file", e);
    } catch (AccessDeniedException e) {
      throw new ResourceException(name, file, "permission denied", e);
    } catch (IOException e) {
      throw new ResourceException(name, file, "cannot read: " + e, e);
    }
  }
}
