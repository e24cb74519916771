package io.rma.coordinator.http;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.http.Status;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * CORS for browser clients on other origins ({@code RMA_CORS_ORIGINS}: {@code *} by default, as the
 * original service allowed, or a list of origins). One filter ahead of everything else, so a
 * preflight is answered 204 on every path before any credential check or standby refusal (a browser
 * never sends credentials on a preflight), and every answer, errors included, carries the {@code
 * Access-Control-*} headers its origin is allowed.
 *
 * <p>{@code Access-Control-Allow-Credentials} is never sent: the API takes bearer tokens in {@code
 * Authorization}, which needs no credentials mode, and with {@code *} a browser would refuse it
 * anyway. A listed origin is echoed with {@code Vary: Origin}, so caches keep answers per origin.
 *
 * <p>Helidon's CORS feature was not used: it answers preflights 200 from the end of the route
 * chain, after the filters that refuse unauthenticated or standby requests.
 */
public final class CorsFilter implements Filter {
  static final String ALLOWED_METHODS = "GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS";
  static final String EXPOSED_HEADERS = "Retry-After, Location, Preference-Applied";
  private static final String MAX_AGE_SECONDS = "600";
  private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}");
  private static final HeaderName REQUEST_METHOD = HeaderNames.ACCESS_CONTROL_REQUEST_METHOD;
  private static final HeaderName REQUEST_HEADERS = HeaderNames.ACCESS_CONTROL_REQUEST_HEADERS;

  private final boolean anyOrigin;
  private final Set<String> origins;

  private CorsFilter(List<String> origins) {
    this.anyOrigin = origins.contains("*");
    this.origins = Set.copyOf(origins);
  }

  /** Adds the filter, unless {@code origins} is empty (CORS off). */
  public static void register(HttpRouting.Builder routing, List<String> origins) {
    if (!origins.isEmpty()) {
      routing.addFilter(new CorsFilter(origins));
    }
  }

  @Override
  public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
    if (!anyOrigin) {
      res.header(HeaderNames.VARY, "Origin");
    }
    Optional<String> origin = req.headers().first(HeaderNames.ORIGIN);
    if (origin.isEmpty()) {
      chain.proceed();
      return;
    }
    boolean allowed = anyOrigin || origins.contains(origin.get().toLowerCase(Locale.ROOT));
    if (req.prologue().method() == Method.OPTIONS && req.headers().contains(REQUEST_METHOD)) {
      preflight(req, res, origin.get(), allowed);
      return;
    }
    if (allowed) {
      allowOrigin(res, origin.get());
      res.header(HeaderNames.ACCESS_CONTROL_EXPOSE_HEADERS, EXPOSED_HEADERS);
    }
    chain.proceed();
  }

  private void preflight(RoutingRequest req, RoutingResponse res, String origin, boolean allowed) {
    if (!allowed) {
      JsonBodies.send(
          res,
          403,
          Map.of(
              "detail",
              "origin "
                  + (origin.length() > 100 ? origin.substring(0, 100) + "..." : origin)
                  + " may not call this API from a browser (RMA_CORS_ORIGINS)"));
      return;
    }
    allowOrigin(res, origin);
    res.header(HeaderNames.ACCESS_CONTROL_ALLOW_METHODS, ALLOWED_METHODS);
    res.header(HeaderNames.ACCESS_CONTROL_ALLOW_HEADERS, allowedHeaders(req));
    res.header(HeaderNames.ACCESS_CONTROL_MAX_AGE, MAX_AGE_SECONDS);
    res.header(
        HeaderNames.VARY,
        anyOrigin ? "Access-Control-Request-Headers" : "Origin, Access-Control-Request-Headers");
    res.status(Status.NO_CONTENT_204).send();
  }

  private void allowOrigin(RoutingResponse res, String origin) {
    res.header(HeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, anyOrigin ? "*" : origin);
  }

  /**
   * {@code Authorization} and {@code Content-Type}, and whatever else the browser asks for (as the
   * original service allowed any header): OpenAI SDKs send headers of their own.
   */
  private static String allowedHeaders(RoutingRequest req) {
    Set<String> names = new LinkedHashSet<>(List.of("Authorization", "Content-Type"));
    Set<String> lower = new LinkedHashSet<>(List.of("authorization", "content-type"));
    List<String> requested = new ArrayList<>();
    req.headers()
        .all(REQUEST_HEADERS, List::of)
        .forEach(v -> requested.addAll(List.of(v.split(","))));
    for (String h : requested) {
      String name = h.strip();
      if (names.size() < 64
          && HEADER_NAME.matcher(name).matches()
          && lower.add(name.toLowerCase(Locale.ROOT))) {
        names.add(name);
      }
    }
    return String.join(", ", names);
  }
}
