package dev.conveyor.runtime.quartz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.beans.Introspector;
import java.beans.PropertyDescriptor;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.quartz.impl.jdbcjobstore.SchedulerStateRecord;

/** The failure detection of the processors' Quartz store. */
class ClusteredJobStoreTest {

  @Test
  void quartzsOwnLinesKeepQuartzsLoggerSoThatOutageErrorsAreFiltered() {
    // why: LibraryOutageFilter drops a library's outage ERRORs, never a dev.conveyor logger's;
    // under the subclass's own name every failed check-in of a PostgreSQL outage was an ERROR
    assertThat(new ClusteredJobStore().getLog().getName())
        .isEqualTo("org.quartz.impl.jdbcjobstore.JobStoreTX");
  }

  @Test
  void aNodeIsDeadOnceSilentForItsIntervalPlusTheGrace() {
    assertThat(ClusteredJobStore.failedIfAfter(10_000, 1_000, 1_000, 2_000)).isEqualTo(13_000);
    // why: Quartz's own arithmetic, with its fixed 7.5 s in place of the grace
    assertThat(ClusteredJobStore.failedIfAfter(10_000, 5_000, 5_000, 7_500)).isEqualTo(22_500);
  }

  @Test
  void aNoticingNodeLateItselfAllowsTheOthersAsLongAgain() {
    // why: PostgreSQL stalled for 4 s: the noticing node checks in 4 s late too, and takes no
    // node for dead that was stalled just as long
    assertThat(ClusteredJobStore.failedIfAfter(10_000, 1_000, 4_000, 2_000)).isEqualTo(16_000);
  }

  @Test
  void theStoreUsesItsGraceInPlaceOfQuartzs() {
    ClusteredJobStore store = new ClusteredJobStore();
    SchedulerStateRecord rec = new SchedulerStateRecord();
    rec.setSchedulerInstanceId("processor-a");
    rec.setCheckinInterval(1_000);
    rec.setCheckinTimestamp(System.currentTimeMillis());

    assertThat(store.getFailureGraceMillis()).isEqualTo(ClusteredJobStore.QUARTZ_GRACE_MILLIS);
    store.setFailureGraceMillis(2_000);
    // why: the store checked in as it was created, well within one interval of now
    assertThat(store.calcFailedIfAfter(rec)).isEqualTo(rec.getCheckinTimestamp() + 3_000);
    assertThatThrownBy(() -> store.setFailureGraceMillis(-1))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void quartzSetsTheGraceFromTheProperty() throws Exception {
    // why: StdSchedulerFactory sets org.quartz.jobStore.<name> through the bean setter <name>
    PropertyDescriptor grace =
        Arrays.stream(Introspector.getBeanInfo(ClusteredJobStore.class).getPropertyDescriptors())
            .filter(d -> d.getName().equals("failureGraceMillis"))
            .findFirst()
            .orElseThrow();
    assertThat(grace.getWriteMethod()).isNotNull();
    assertThat(grace.getPropertyType()).isEqualTo(long.class);
    assertThat(QuartzStore.properties("node-1", "pool-1").getProperty("org.quartz.jobStore.class"))
        .isEqualTo(ClusteredJobStore.class.getName());
  }

  @Test
  void aNodeAloneChecksInAtTheLoneIntervalUntilAnotherJoins() {
    assertThat(ClusteredJobStore.checkinInterval(false, 1_000, 5_000)).isEqualTo(5_000);
    assertThat(ClusteredJobStore.checkinInterval(true, 1_000, 5_000)).isEqualTo(1_000);
    // why: never shorter than configured, and 0 turns the lone interval off
    assertThat(ClusteredJobStore.checkinInterval(false, 10_000, 5_000)).isEqualTo(10_000);
    assertThat(ClusteredJobStore.checkinInterval(false, 1_000, 0)).isEqualTo(1_000);
  }
}
