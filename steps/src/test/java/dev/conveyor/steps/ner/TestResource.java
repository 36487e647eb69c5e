package dev.conveyor.steps.ner;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.conveyor.runtime.step.StepContext;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** A resource held in a heap array, as a unit test passes one (not mapped, not shared). */
record TestResource(String name, byte[] content) implements StepContext.SharedResource {
  TestResource(String name, String content) {
    this(name, content.getBytes(UTF_8));
  }

  @Override
  public ByteBuffer bytes() {
    return ByteBuffer.wrap(content).asReadOnlyBuffer();
  }

  @Override
  public long size() {
    return content.length;
  }

  static Path repositoryRoot() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("mvnw"))) {
        return p;
      }
    }
    throw new AssertionError("no directory with mvnw above " + Path.of("").toAbsolutePath());
  }

  /** The shipped gazetteer, {@code deploy/pipelines/data/first_names.txt}. */
  static Path firstNamesFile() {
    return repositoryRoot().resolve("deploy/pipelines/data/first_names.txt");
  }

  /** The shipped word lists, {@code deploy/pipelines/data/person_words.txt}. */
  static Path personWordsFile() {
    return repositoryRoot().resolve("deploy/pipelines/data/person_words.txt");
  }

  static TestResource firstNames() {
    return of(PersonRecognizer.FIRST_NAMES, firstNamesFile());
  }

  static TestResource personWords() {
    return of(PersonRecognizer.PERSON_WORDS, personWordsFile());
  }

  /** The resources of the person step as {@code ner.yaml} gives them. */
  static Map<String, StepContext.SharedResource> personResources() {
    return Map.of(
        PersonRecognizer.FIRST_NAMES, firstNames(), PersonRecognizer.PERSON_WORDS, personWords());
  }

  /** The person rules over the shipped files, built the way the step builds them. */
  static PersonRules personRules() {
    return new PersonRules(
        PersonRecognizer.firstNames(firstNames()), PersonWords.of(personWords()));
  }

  private static TestResource of(String name, Path file) {
    try {
      return new TestResource(name, Files.readAllBytes(file));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
