package dev.conveyor.patrol;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conveyor.patrol.ChainRepair.Reason;
import dev.conveyor.runtime.quartz.ChainKey;
import dev.conveyor.runtime.quartz.QuartzTables.ChainRow;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Which rows of the Quartz store make a chain broken. */
class ChainRepairTest {
  private static final ChainKey KEY = new ChainKey("p", "s", 0);

  private static Optional<Reason> diagnose(
      String state, boolean paused, long firings, long otherTriggers) {
    return ChainRepair.diagnose(new ChainRow(KEY, true, state, 1L, paused, firings, otherTriggers));
  }

  @Test
  void aWaitingTriggerIsHealthy() {
    assertThat(diagnose("WAITING", false, 0, 0)).isEmpty();
  }

  @Test
  void aMissingTriggerIsBrokenUnlessAFiringOrAnotherTriggerWillPutItBack() {
    assertThat(diagnose(null, false, 0, 0)).contains(Reason.MISSING_TRIGGER);
    assertThat(diagnose(null, false, 1, 0)).isEmpty();
    assertThat(diagnose(null, false, 0, 1)).isEmpty();
  }

  @Test
  void errorAndCompleteTriggersAreBrokenWhenNothingIsFiring() {
    assertThat(diagnose("ERROR", false, 0, 0)).contains(Reason.ERROR_STATE);
    assertThat(diagnose("COMPLETE", false, 0, 0)).contains(Reason.COMPLETE_STATE);
    // why: a one-shot link is COMPLETE while its tick runs, until the tick puts the next link
    assertThat(diagnose("COMPLETE", false, 1, 0)).isEmpty();
  }

  @Test
  void acquiredAndBlockedTriggersAreOrphansOnlyWithoutAFiring() {
    assertThat(diagnose("ACQUIRED", false, 0, 0)).contains(Reason.ORPHANED_ACQUIRED);
    assertThat(diagnose("BLOCKED", false, 0, 0)).contains(Reason.ORPHANED_BLOCKED);
    assertThat(diagnose("ACQUIRED", false, 1, 0)).isEmpty();
    assertThat(diagnose("BLOCKED", false, 1, 0)).isEmpty();
    assertThat(Reason.ORPHANED_ACQUIRED.graced()).isTrue();
    assertThat(Reason.ORPHANED_BLOCKED.graced()).isTrue();
    assertThat(Reason.ERROR_STATE.graced()).isFalse();
  }

  @Test
  void aSuspendedStepIsLeftAloneWhateverItsTriggerLooksLike() {
    assertThat(diagnose("PAUSED", false, 0, 0)).isEmpty();
    assertThat(diagnose("PAUSED_BLOCKED", false, 0, 0)).isEmpty();
    for (String state : new String[] {null, "ERROR", "COMPLETE", "ACQUIRED", "BLOCKED"}) {
      assertThat(diagnose(state, true, 0, 0)).as(String.valueOf(state)).isEmpty();
    }
  }

  @Test
  void reasonsAreLoggedInSnakeCase() {
    assertThat(Reason.MISSING_TRIGGER.code()).isEqualTo("missing_trigger");
    assertThat(Reason.ORPHANED_ACQUIRED.code()).isEqualTo("orphaned_acquired");
  }
}
