package dev.conveyor.common.redis;

import java.util.regex.Pattern;

/**
 * Every Redis key shape Conveyor uses, in one place: keys are a contract between the three daemons.
 * All keys start with the namespace. The keys of one task share the hash tag {@code {taskId}}, so
 * multi-key operations on a task stay in one Redis Cluster slot; queue and index keys carry no hash
 * tag, so they spread over the cluster.
 */
public final class Keys {
  /** Consumer group of the dispatchers on the inbox. */
  public static final String DISPATCHER_GROUP = "dispatchers";

  /** Consumer group of the processors on every step queue. */
  public static final String PROCESSOR_GROUP = "processors";

  /**
   * The one consumer of the processors' group on every step queue: only one tick of a shard runs at
   * a time, on whichever processor holds its chain, so the pending list is that of the shard, not
   * of a node. Entries pending on any other consumer are foreign (patrol hands them back to it).
   */
  public static final String PROCESSOR_CONSUMER = "tick";

  /** The inbound message contract's task ids: 1-128 of [A-Za-z0-9._:-]. */
  public static final Pattern TASK_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

  private final String ns;

  public Keys(String namespace) {
    this.ns = namespace;
  }

  public String namespace() {
    return ns;
  }

  /** Stream producers append to: {@code ns:inbox}. */
  public String inbox() {
    return ns + ":inbox";
  }

  /**
   * Stream of task events for producers: {@code finished} (with the outcome) when a task's audit
   * row is written, {@code rejected} (with the reason) when an inbox entry is rejected. Written
   * with {@code XADD MAXLEN ~ CONVEYOR_TASK_EVENTS_MAXLEN}; producers read it with a consumer group
   * of their own. No hash tag: single-key commands only.
   */
  public String taskEvents() {
    return ns + ":events";
  }

  /** Hash: the task's pipeline, version, part count, stream id, times and state. */
  public String taskMeta(String taskId) {
    return task(taskId) + ":meta";
  }

  /** Hash: part number → the part's input (its slice of the payload). */
  public String taskParts(String taskId) {
    return task(taskId) + ":parts";
  }

  /** Hash: part number (or {@code task} for a task-scope step) → the step's output. */
  public String taskOutput(String taskId, String step) {
    return task(taskId) + ":out:" + step;
  }

  /** Hash: part number → {@code step} and error of a part that is dead. */
  public String taskDead(String taskId) {
    return task(taskId) + ":dead";
  }

  /**
   * Stream of items (task, part) waiting for one shard of a step. Its hash tag is the shard, so it
   * shares a slot with its retry set and different shards spread over the cluster.
   */
  public String stepQueue(String pipeline, String step, int shard) {
    return ns + ":q:" + shardTag(pipeline, step, shard);
  }

  /** Sorted set: items of the shard's queue that failed and are due again at a time (score, ms). */
  public String stepRetries(String pipeline, String step, int shard) {
    return ns + ":retry:" + shardTag(pipeline, step, shard);
  }

  /** Sorted set: task id → received time (ms) of every task of the pipeline still in flight. */
  public String inflight(String pipeline) {
    return ns + ":inflight:" + pipeline;
  }

  /**
   * Sorted set: task id → finished time (ms) of every task of the pipeline that finished and whose
   * runtime data is not deleted yet. Cleanup takes a task out only after deleting its keys, so a
   * Redis that lost the deletes (AOF without its last second) still lists the task, and the keys it
   * brought back are deleted again.
   */
  public String finished(String pipeline) {
    return ns + ":finished:" + pipeline;
  }

  /** Hash with a TTL: one daemon's heartbeat (role, state, version, start time). */
  public String node(String nodeId) {
    return ns + ":node:" + nodeId;
  }

  /** Sorted set: node id → last heartbeat (ms); lists nodes that died too. */
  public String nodes() {
    return ns + ":nodes";
  }

  /**
   * A short-lived marker written with the hash tag {@code {tag}} (a task id), so that it lands on
   * the node holding that task's keys: {@link ReplicationBarrier} waits for it to be replicated.
   */
  public String replicationMarker(String tag) {
    return ns + ":sync:{" + tag + "}";
  }

  private static String shardTag(String pipeline, String step, int shard) {
    return "{" + pipeline + ":" + step + ":" + shard + "}";
  }

  private String task(String taskId) {
    return ns + ":t:{" + taskId + "}";
  }
}
