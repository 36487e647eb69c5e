package dev.conveyor.runtime.resource;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.conveyor.common.test.CapturedLog;
import dev.conveyor.runtime.step.StepContext;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SharedResourcesTest {
  @TempDir Path dir;

  private final SharedResources resources = new SharedResources();
  private CapturedLog log;

  @BeforeEach
  void captureLog() {
    log = new CapturedLog(SharedResources.class);
  }

  @AfterEach
  void releaseLog() {
    log.close();
  }

  private Path file(String name, String content) throws IOException {
    return Files.writeString(dir.resolve(name), content, UTF_8);
  }

  private static String text(ByteBuffer view) {
    byte[] bytes = new byte[view.remaining()];
    view.get(bytes);
    return new String(bytes, UTF_8);
  }

  @Test
  void theSameFileAcquiredTwiceIsMappedOnceAndShared() throws IOException {
    Path names = file("names.txt", "Jane\nJohn\n");

    try (var first = resources.acquire("names", names);
        var second = resources.acquire("names", names)) {
      assertThat(second.segment()).isSameAs(first.segment());
      assertThat(resources.mappedFiles()).isEqualTo(1);
      assertThat(resources.mappedBytes()).isEqualTo(10);
      assertThat(log.events("resource_loaded"))
          .singleElement()
          .satisfies(e -> {
            assertThat(e).containsEntry("name", "names").containsEntry("bytes", 10L);
            assertThat(e.get("path")).hasToString(names.toRealPath().toString());
          });
    }
  }

  @Test
  void anotherPathToTheSameFileSharesItsMapping() throws IOException {
    Path names = file("names.txt", "Jane\n");
    Files.createDirectory(dir.resolve("sub"));
    Path link = Files.createSymbolicLink(dir.resolve("link.txt"), names);

    try (var direct = resources.acquire("names", names);
        var viaDots = resources.acquire("first-names", dir.resolve("sub/../names.txt"));
        var viaLink = resources.acquire("gazetteer", link)) {
      assertThat(viaDots.segment()).isSameAs(direct.segment());
      assertThat(viaLink.segment()).isSameAs(direct.segment());
      assertThat(viaLink.name()).isEqualTo("gazetteer");
      assertThat(viaLink.path()).isEqualTo(names.toRealPath());
      assertThat(log.events("resource_loaded")).hasSize(1);
    }
  }

  @Test
  void differentFilesAreMappedSeparately() throws IOException {
    try (var names = resources.acquire("names", file("names.txt", "Jane\n"));
        var companies = resources.acquire("companies", file("companies.txt", "Acme Ltd\n"))) {
      assertThat(companies.segment()).isNotSameAs(names.segment());
      assertThat(text(names.bytes())).isEqualTo("Jane\n");
      assertThat(text(companies.bytes())).isEqualTo("Acme Ltd\n");
      assertThat(resources.mappedFiles()).isEqualTo(2);
      assertThat(resources.mappedBytes()).isEqualTo(5 + 9);
      assertThat(log.events("resource_loaded"))
          .extracting(e -> e.get("name"))
          .containsExactly("names", "companies");
    }
  }

  @Test
  void viewsAreReadOnlyAndEachHasItsOwnPosition() throws IOException {
    try (var names = resources.acquire("names", file("names.txt", "Jane\n"))) {
      ByteBuffer first = names.bytes();
      first.get();
      first.get();
      ByteBuffer second = names.bytes();

      assertThat(first.position()).isEqualTo(2);
      assertThat(second.position()).isZero();
      assertThat(second.remaining()).isEqualTo(5);
      assertThat(names.size()).isEqualTo(5);
      assertThat(second.isReadOnly()).isTrue();
      assertThat(names.segment().isReadOnly()).isTrue();
      assertThatThrownBy(() -> second.put(0, (byte) 'X'))
          .isInstanceOf(ReadOnlyBufferException.class);
      assertThat(text(second)).isEqualTo("Jane\n");
    }
  }

  @Test
  void theFileIsUnmappedWhenTheLastHolderLetsGo() throws IOException {
    Path names = file("names.txt", "Jane\n");
    var first = resources.acquire("names", names);
    var second = resources.acquire("names", names);
    ByteBuffer view = first.bytes();

    first.close();
    assertThat(view.get(0)).isEqualTo((byte) 'J');
    assertThat(text(second.bytes())).isEqualTo("Jane\n");
    assertThat(log.events("resource_unloaded")).isEmpty();

    second.close();
    assertThat(resources.mappedFiles()).isZero();
    assertThat(log.events("resource_unloaded"))
        .singleElement()
        .satisfies(e -> assertThat(e).containsEntry("name", "names").containsEntry("bytes", 5L));
    assertThatThrownBy(() -> view.get(0)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(second::bytes)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("'names' was released");
  }

  @Test
  void closingOneHandleTwiceReleasesItOnlyOnce() throws IOException {
    Path names = file("names.txt", "Jane\n");
    var first = resources.acquire("names", names);
    try (var second = resources.acquire("names", names)) {
      first.close();
      first.close();

      assertThat(text(second.bytes())).isEqualTo("Jane\n");
      assertThat(resources.mappedFiles()).isEqualTo(1);
    }
    assertThat(resources.mappedFiles()).isZero();
    assertThat(log.events("resource_unloaded")).hasSize(1);
  }

  @Test
  void aFileAcquiredAgainAfterItWasUnmappedIsMappedAnew() throws IOException {
    Path names = file("names.txt", "Jane\n");
    resources.acquire("names", names).close();

    try (var again = resources.acquire("names", names)) {
      assertThat(text(again.bytes())).isEqualTo("Jane\n");
    }
    assertThat(log.events("resource_loaded")).hasSize(2);
    assertThat(log.events("resource_unloaded")).hasSize(2);
  }

  @Test
  void aReplacedFileIsMappedAnewWhileHoldersOfTheOldOneKeepItsContent() throws IOException {
    Path names = file("names.txt", "Jane\n");
    try (var old = resources.acquire("names", names)) {
      Path next = file("names.txt.new", "Jane\nJohn\n");
      Files.move(next, names, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);

      try (var current = resources.acquire("names", names)) {
        assertThat(current.segment()).isNotSameAs(old.segment());
        assertThat(text(current.bytes())).isEqualTo("Jane\nJohn\n");
        assertThat(text(old.bytes())).isEqualTo("Jane\n");
        assertThat(resources.mappedFiles()).isEqualTo(2);
      }
    }
    assertThat(resources.mappedFiles()).isZero();
  }

  @Test
  void anEmptyFileIsAResourceOfNoBytes() throws IOException {
    try (var empty = resources.acquire("empty", file("empty.txt", ""))) {
      assertThat(empty.size()).isZero();
      assertThat(empty.bytes().remaining()).isZero();
    }
  }

  @Test
  void aMissingFileIsRefusedWithTheResourceNameAndPath() {
    Path missing = dir.resolve("no/such/names.txt");

    assertThatThrownBy(() -> resources.acquire("first-names", missing))
        .isInstanceOf(ResourceException.class)
        .hasMessage("resource 'first-names' (" + missing + "): no such file");
    assertThat(resources.mappedFiles()).isZero();
    assertThat(log.events()).isEmpty();
  }

  @Test
  void aDirectoryIsRefusedWithTheResourceNameAndPath() {
    assertThatThrownBy(() -> resources.acquire("models", dir))
        .isInstanceOf(ResourceException.class)
        .hasMessage("resource 'models' (" + dir + "): not a regular file");
  }

  @Test
  void aFileOfTwoGibibytesOrMoreIsRefusedWithTheLimit() throws IOException {
    Path huge = dir.resolve("huge.bin");
    try (var file = new RandomAccessFile(huge.toFile(), "rw")) {
      file.setLength(SharedResources.MAX_BYTES + 1); // sparse: no disk space used
    }

    assertThatThrownBy(() -> resources.acquire("model", huge))
        .isInstanceOf(ResourceException.class)
        .hasMessageStartingWith("resource 'model' (" + huge + "): the file has 2147483648 bytes")
        .hasMessageContaining("at most 2147483647 (2 GiB - 1)");
    assertThat(resources.mappedFiles()).isZero();
  }

  @Test
  void manyVirtualThreadsAcquiringAtOnceMapTheFileOnce() throws Exception {
    Path names = file("names.txt", "Jane\nJohn\n");
    int threads = 500;
    var start = new CountDownLatch(1);
    List<Future<MappedResource>> acquired = new ArrayList<>();

    try (var executor = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < threads; i++) {
        acquired.add(
            executor.submit(() -> {
              start.await();
              return resources.acquire("names", names);
            }));
      }
      start.countDown();
    }

    List<MappedResource> handles = new ArrayList<>();
    for (Future<MappedResource> f : acquired) {
      handles.add(f.get());
    }
    assertThat(handles).extracting(MappedResource::segment).containsOnly(handles.get(0).segment());
    assertThat(resources.mappedFiles()).isEqualTo(1);
    assertThat(log.events("resource_loaded")).hasSize(1);

    try (var executor = Executors.newVirtualThreadPerTaskExecutor()) {
      handles.forEach(h -> executor.submit(h::close));
    }
    assertThat(resources.mappedFiles()).isZero();
    assertThat(log.events("resource_unloaded")).hasSize(1);
  }

  /** What a first-name step would build from its gazetteer: the heap a shared value saves. */
  record FirstNames(Set<String> names) {
    static FirstNames of(StepContext.SharedResource gazetteer, AtomicInteger builds) {
      builds.incrementAndGet();
      return new FirstNames(
          SharedResources.lines(gazetteer).stream().collect(Collectors.toUnmodifiableSet()));
    }
  }

  @Test
  void aSharedValueIsBuiltOnceForEveryHolderOfTheFile() throws IOException {
    Path names = file("names.txt", "Jane\nJohn\n");
    var builds = new AtomicInteger();

    try (var first = resources.acquire("names", names);
        var second = resources.acquire("first-names", names)) {
      FirstNames a =
          SharedResources.computeShared(
              first, "first-names", FirstNames.class, r -> FirstNames.of(r, builds));
      FirstNames b =
          SharedResources.computeShared(
              second, "first-names", FirstNames.class, r -> FirstNames.of(r, builds));

      assertThat(b).isSameAs(a);
      assertThat(a.names()).containsExactlyInAnyOrder("Jane", "John");
      assertThat(builds).hasValue(1);
      assertThat(log.events("resource_shared_built"))
          .singleElement()
          .satisfies(e ->
              assertThat(e).containsEntry("name", "names").containsEntry("key", "first-names"));
    }
  }

  @Test
  void aSharedValueIsBuiltAgainAfterTheFileWasUnmapped() throws IOException {
    Path names = file("names.txt", "Jane\n");
    var builds = new AtomicInteger();

    for (int round = 0; round < 2; round++) {
      try (var handle = resources.acquire("names", names)) {
        SharedResources.computeShared(
            handle, "size", Long.class, r -> builds.incrementAndGet() + 0L);
      }
    }
    assertThat(builds).hasValue(2);
  }

  @Test
  void aSharedValueWhoseBuildFailedIsBuiltByTheNextCaller() throws IOException {
    try (var names = resources.acquire("names", file("names.txt", "Jane\n"))) {
      assertThatThrownBy(() ->
              SharedResources.computeShared(
                  names,
                  "index",
                  String.class,
                  r -> {
                    throw new IllegalArgumentException("bad entry");
                  }))
          .hasMessage("bad entry");

      assertThat(SharedResources.computeShared(names, "index", String.class, r -> "built"))
          .isEqualTo("built");
    }
  }

  @Test
  void aSharedValueAskedForAsAnotherTypeIsRefused() throws IOException {
    try (var names = resources.acquire("names", file("names.txt", "Jane\n"))) {
      SharedResources.computeShared(names, "index", String.class, r -> "built");

      assertThatThrownBy(() -> SharedResources.computeShared(names, "index", Integer.class, r -> 1))
          .isInstanceOf(IllegalStateException.class)
          .hasMessage(
              "shared value 'index' of resource 'names' is a java.lang.String, not a"
                  + " java.lang.Integer");
    }
  }

  @Test
  void aSharedValueOfAResourceThatIsNotMappedIsBuiltOnEveryCall() {
    var fake = new FakeResource("names", "Jane\n");

    Object a = SharedResources.computeShared(fake, "index", Object.class, r -> new Object());
    Object b = SharedResources.computeShared(fake, "index", Object.class, r -> new Object());

    assertThat(b).isNotSameAs(a);
  }

  @Test
  void aReleasedHandleRefusesToBuildASharedValue() throws IOException {
    var names = resources.acquire("names", file("names.txt", "Jane\n"));
    names.close();

    assertThatThrownBy(() -> SharedResources.computeShared(names, "index", String.class, r -> "x"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("released");
  }
}
