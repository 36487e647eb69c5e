package dev.conveyor.common.test;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * Hands each test class a real Redis and a real PostgreSQL ({@link TestServices}), isolated from
 * every other class: its own Redis namespace and its own database with the migrations applied. The
 * services themselves are found once per JVM ({@link ServiceEndpoints}). With {@link
 * OnRedisCluster} the Redis is a Redis Cluster: one shared by the whole run, or one of the class's
 * own. Use through {@link WithServices}; take {@code TestServices} as a parameter of a constructor,
 * a lifecycle method or a test.
 */
public final class ConveyorServicesExtension
    implements BeforeAllCallback, AfterAllCallback, ParameterResolver {
  private static final ExtensionContext.Namespace NS =
      ExtensionContext.Namespace.create(ConveyorServicesExtension.class);

  @Override
  public void beforeAll(ExtensionContext context) {
    ServiceEndpoints endpoints =
        context
            .getRoot()
            .getStore(NS)
            .computeIfAbsent(
                ServiceEndpoints.class,
                k -> ServiceEndpoints.resolve(System.getenv()),
                ServiceEndpoints.class);
    context.getStore(NS).put(TestServices.class, create(context, endpoints));
  }

  private static TestServices create(ExtensionContext context, ServiceEndpoints endpoints) {
    OnRedisCluster cluster =
        AnnotationSupport.findAnnotation(context.getRequiredTestClass(), OnRedisCluster.class)
            .orElse(null);
    if (cluster == null) {
      return TestServices.create(endpoints);
    }
    if (cluster.dedicated()) {
      TestRedisCluster own = TestRedisCluster.resolve(System.getenv());
      try {
        return TestServices.create(endpoints, own, own::close);
      } catch (RuntimeException e) {
        own.close();
        throw e;
      }
    }
    TestRedisCluster shared =
        context
            .getRoot()
            .getStore(NS)
            .computeIfAbsent(
                TestRedisCluster.class,
                k -> TestRedisCluster.resolve(System.getenv()),
                TestRedisCluster.class);
    return TestServices.create(endpoints, shared, () -> {});
  }

  @Override
  public void afterAll(ExtensionContext context) {
    TestServices services = context.getStore(NS).remove(TestServices.class, TestServices.class);
    if (services != null) {
      services.close();
    }
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == TestServices.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    TestServices services = find(context);
    if (services == null) {
      throw new IllegalStateException("TestServices are made per test class (use @WithServices)");
    }
    return services;
  }

  private static TestServices find(ExtensionContext context) {
    for (ExtensionContext c = context; c != null; c = c.getParent().orElse(null)) {
      TestServices s = c.getStore(NS).get(TestServices.class, TestServices.class);
      if (s != null) {
        return s;
      }
    }
    return null;
  }
}
