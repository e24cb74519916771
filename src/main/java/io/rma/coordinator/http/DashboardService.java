package io.rma.coordinator.http;

import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.staticcontent.ClasspathHandlerConfig;
import io.helidon.webserver.staticcontent.StaticContentFeature;
import io.rma.coordinator.pool.Pool;
import io.rma.coordinator.pool.ServiceCatalogue;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The dashboard and what it reads beyond the admin API: the page at {@code /dashboard} (plain HTML,
 * CSS and JavaScript from the jar's {@code dashboard/} folder, uPlot from its webjar, served by
 * Helidon's static content handler), the per-route window ({@link RouteStatsFilter}, first of all
 * filters), {@link AdminActivityService} and the pool's gauges ({@link PoolMetrics}).
 *
 * <p>The page itself is open, like {@code /}; its data comes from {@code /api/admin/*}, which asks
 * for the admin token when one is set (the page keeps it in the tab's sessionStorage only).
 */
public final class DashboardService {
  public static final String PATH = "/dashboard";

  /** Where the uPlot webjar keeps its files; the version is the pom's {@code uplot.version}. */
  static final String UPLOT = "META-INF/resources/webjars/uplot/1.6.30/dist";

  private DashboardService() {}

  /** Adds the route filter (call before any other filter), the admin activity API and the page. */
  public static RouteStats routing(
      HttpRouting.Builder routing,
      Pool pool,
      ServiceCatalogue catalogue,
      Optional<String> adminToken,
      Supplier<Map<String, Object>> tasks,
      Clock clock) {
    PoolMetrics.export(pool);
    RouteStats stats = new RouteStats(clock);
    routing
        .addFilter(new RouteStatsFilter(stats, catalogue))
        .register(
            "/api/admin",
            new AdminActivityService(pool.events(), stats, tasks, new AdminAuth(adminToken)))
        .register(
            PATH + "/lib",
            StaticContentFeature.createService(
                ClasspathHandlerConfig.builder().location(UPLOT).build()))
        .register(
            PATH,
            StaticContentFeature.createService(
                ClasspathHandlerConfig.builder()
                    .location("dashboard")
                    .welcome("index.html")
                    .build()));
    return stats;
  }
}
