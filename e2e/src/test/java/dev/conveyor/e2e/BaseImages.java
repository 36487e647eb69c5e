package dev.conveyor.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.e2e.ComposeProject.Result;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The base images a compose stack of the tests is built on. */
final class BaseImages {
  private BaseImages() {}

  /**
   * The stand-in base images (built once, then cached by the script), unless {@code
   * CONVEYOR_TEST_BASE_IMAGES=official}: then compose's defaults, pulled from the registry.
   */
  static Map<String, String> forCompose(Path root, Map<String, String> figures) {
    if ("official".equals(System.getenv("CONVEYOR_TEST_BASE_IMAGES"))) {
      figures.put("base_images", "official");
      return Map.of();
    }
    Instant t0 = Instant.now();
    List<String> command = List.of(root.resolve("deploy/bin/build-base-images").toString());
    Result r = Result.of(command, Map.of());
    assertThat(r.code()).as("deploy/bin/build-base-images:%n%s", r.out()).isZero();
    Map<String, String> images = new LinkedHashMap<>();
    r.out()
        .lines()
        .filter(l -> l.matches("[A-Z_]+_IMAGE=\\S+"))
        .forEach(l -> images.put(l.substring(0, l.indexOf('=')), l.substring(l.indexOf('=') + 1)));
    assertThat(images).containsOnlyKeys("JDK_IMAGE", "JRE_IMAGE", "REDIS_IMAGE", "POSTGRES_IMAGE");
    figures.put("base_images", String.join(",", images.values()));
    figures.put("base_images_s", seconds(Duration.between(t0, Instant.now())));
    return images;
  }

  private static String seconds(Duration d) {
    return String.format(Locale.ROOT, "%.1f", d.toMillis() / 1000.0);
  }
}
