package dev.conveyor.e2e;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.importer.Location;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The module rules (a module depends only on modules below it, the daemons never on each other)
 * checked on the production classes of every module. It lives here because e2e is the one module
 * that has all of them on its test class path; it is a unit test (Surefire), no service needed.
 *
 * <p>The rules name packages, not Maven modules: Maven already refuses an import that a module's
 * pom does not allow; these rules also catch the pom dependency added to make one compile.
 */
@AnalyzeClasses(
    packages = "dev.conveyor",
    importOptions = {
      ImportOption.DoNotIncludeTests.class,
      ArchitectureTest.DoNotIncludeTestJars.class
    })
class ArchitectureTest {
  private static final String COMMON = "dev.conveyor.common..";
  private static final String RUNTIME = "dev.conveyor.runtime..";
  private static final String STEPS = "dev.conveyor.steps..";
  private static final String CLI = "dev.conveyor.cli..";
  private static final String DISPATCHER = "dev.conveyor.dispatcher..";
  private static final String PROCESSOR = "dev.conveyor.processor..";
  private static final String PATROL = "dev.conveyor.patrol..";

  /**
   * The test support in the modules' test-jars ({@code conveyor-common-*-tests.jar}) is not
   * production code; {@link ImportOption.DoNotIncludeTests} only knows test-classes directories.
   */
  static final class DoNotIncludeTestJars implements ImportOption {
    private static final Pattern TEST_JAR = Pattern.compile(".*-tests\\.jar!/.*");

    @Override
    public boolean includes(Location location) {
      return !location.matches(TEST_JAR);
    }
  }

  /** Guards the rules below against passing on nothing: a module off the class path, say. */
  @ArchTest
  static void theRulesSeeEveryModuleAndNoTestCode(JavaClasses classes) {
    for (String module : List.of(COMMON, RUNTIME, STEPS, CLI, DISPATCHER, PROCESSOR, PATROL)) {
      assertThat(classes.that(resideInAPackage(module))).as(module).isNotEmpty();
    }
    assertThat(classes.that(resideInAnyPackage("dev.conveyor.common.test..", "dev.conveyor.e2e..")))
        .as("test support and tests")
        .isEmpty();
  }

  @ArchTest
  static final ArchRule theDispatcherDependsOnNoOtherDaemon =
      noClasses()
          .that()
          .resideInAPackage(DISPATCHER)
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage(PROCESSOR, PATROL)
          .because("the daemons share code through common and runtime, never directly");

  @ArchTest
  static final ArchRule theProcessorDependsOnNoOtherDaemon =
      noClasses()
          .that()
          .resideInAPackage(PROCESSOR)
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage(DISPATCHER, PATROL)
          .because("the daemons share code through common and runtime, never directly");

  @ArchTest
  static final ArchRule patrolDependsOnNoOtherDaemon =
      noClasses()
          .that()
          .resideInAPackage(PATROL)
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage(DISPATCHER, PROCESSOR)
          .because("the daemons share code through common and runtime, never directly");

  @ArchTest
  static final ArchRule theCliDependsOnNoDaemon =
      noClasses()
          .that()
          .resideInAPackage(CLI)
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage(DISPATCHER, PROCESSOR, PATROL)
          .because("the CLI reaches the daemons through Redis, PostgreSQL and their HTTP only");

  @ArchTest
  static final ArchRule commonDependsOnNothingAboveIt =
      noClasses()
          .that()
          .resideInAPackage(COMMON)
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage(RUNTIME, STEPS, CLI, DISPATCHER, PROCESSOR, PATROL)
          .because("common is the infrastructure: everything else builds on it");

  @ArchTest
  static final ArchRule runtimeDependsOnlyOnCommon =
      classes()
          .that()
          .resideInAPackage(RUNTIME)
          .should()
          .onlyDependOnClassesThat(
              resideOutsideOfPackage("dev.conveyor..").or(resideInAnyPackage(COMMON, RUNTIME)))
          .because("runtime is what the daemons and the CLI share: no daemon, no CLI, no step");

  @ArchTest
  static final ArchRule stepsUseOnlyTheStepApi =
      classes()
          .that()
          .resideInAPackage(STEPS)
          .should()
          .onlyDependOnClassesThat(
              resideOutsideOfPackage("dev.conveyor..")
                  .or(
                      resideInAnyPackage(
                          STEPS, "dev.conveyor.runtime.step..", "dev.conveyor.runtime.resource..")))
          .because(
              "a step sees only the step API (the step interface and its shared resources), as a"
                  + " step written outside this repository does");

  @ArchTest
  static final ArchRule nothingDependsOnTheSteps =
      noClasses()
          .that(not(resideInAnyPackage(STEPS)))
          .should()
          .dependOnClassesThat()
          .resideInAPackage(STEPS)
          .because("steps are loaded by the class name in a pipeline file, like anyone's steps");

  @ArchTest
  static final ArchRule nothingDependsOnTheCli =
      noClasses()
          .that(not(resideInAnyPackage(CLI)))
          .should()
          .dependOnClassesThat()
          .resideInAPackage(CLI)
          .because("the operator CLI is a program of its own on top, not a library");

  @ArchTest
  static final ArchRule packagesHaveNoCycles =
      slices()
          .matching("dev.conveyor.(**)")
          .should()
          .beFreeOfCycles()
          .because("a package that needs one above it belongs with it, or the other way round");
}
