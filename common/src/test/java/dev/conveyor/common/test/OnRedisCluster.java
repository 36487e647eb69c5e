package dev.conveyor.common.test;

import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * With {@link WithServices}: the test class's Redis is a Redis Cluster ({@link TestRedisCluster})
 * instead of a single server — {@link TestServices#jedis()} is a cluster client and {@link
 * TestServices#env()} sets {@code CONVEYOR_REDIS_CLUSTER}. Put it on a subclass of an existing
 * integration test to run the same scenarios against a cluster.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Inherited
public @interface OnRedisCluster {
  /**
   * A cluster of the class's own, started before it and stopped after it, for tests that fail nodes
   * over or kill them; otherwise one cluster is shared by every class of the test run.
   */
  boolean dedicated() default false;
}
