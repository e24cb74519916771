package io.rma.coordinator.http;

import io.helidon.http.Header;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.rma.coordinator.pool.ServiceCatalogue;
import io.rma.coordinator.pool.ServiceCatalogue.ServiceDefinition;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code /api/service/{name}/{path...}}, as the original proxied its services: any method, to a
 * worker that runs service {@code name} (upload, notes, client-rag, doc-processor, ...), at {@code
 * path} with the query string; the body and the answer are passed on as they come, the hop-by-hop
 * headers dropped. Selection, failover, ejection, limits and errors are the inference routes'
 * ({@link Router}); a body streamed to a worker is not sent to a second one.
 */
final class ServiceProxy implements HttpService {
  private static final String PREFIX = "/api/service/";

  private final ServiceCatalogue catalogue;
  private final Router router;
  private final long maxBodyBytes;

  ServiceProxy(ServiceCatalogue catalogue, Router router, long maxBodyBytes) {
    this.catalogue = catalogue;
    this.router = router;
    this.maxBodyBytes = maxBodyBytes;
  }

  @Override
  public void routing(HttpRules rules) {
    rules.any("/{name}[/{*}]", this::proxy);
  }

  private void proxy(ServerRequest req, ServerResponse res) {
    String name = req.path().pathParameters().get("name");
    ServiceDefinition service =
        catalogue
            .find(name)
            .orElseThrow(
                () ->
                    ApiException.notFound(
                        "no service "
                            + ProtocolErrors.clean(name)
                            + " in the service catalogue (known: "
                            + String.join(
                                ", ",
                                catalogue.all().stream().map(ServiceDefinition::name).toList())
                            + ")"));
    String raw = req.path().absolute().rawPath();
    String path = raw.substring(Math.min(raw.length(), PREFIX.length() + name.length()));
    String query = req.query().rawValue();
    String target = (path.isEmpty() ? "/" : path) + (query.isEmpty() ? "" : "?" + query);
    Router.Call call =
        new Router.Call(
            "service-" + service.name(),
            service,
            null,
            req.prologue().method(),
            target,
            Map.of(),
            endToEnd(req),
            body(req),
            true,
            true);
    router.forward(call, new HelidonExchange(req, res));
  }

  private Router.Body body(ServerRequest req) {
    if (!req.content().hasEntity()) {
      return Router.Body.none();
    }
    var declared = req.headers().contentLength();
    if (declared.isPresent() && declared.getAsLong() > maxBodyBytes) {
      throw new ApiException(
          413, "request body larger than " + maxBodyBytes + " bytes", Map.of(), "body_too_large");
    }
    String type = req.headers().first(HeaderNames.CONTENT_TYPE).orElse(null);
    return Router.Body.streamed(
        new Capped(req.content().inputStream(), maxBodyBytes),
        type,
        declared.isPresent() ? declared.getAsLong() : -1);
  }

  /**
   * The client's end-to-end request headers, for the worker: not the hop-by-hop ones, nor those its
   * {@code Connection} header names.
   */
  private static Map<String, List<String>> endToEnd(ServerRequest req) {
    java.util.Set<String> named = new java.util.HashSet<>();
    for (String v : req.headers().all(HeaderNames.CONNECTION, List::of)) {
      for (String token : v.split(",")) {
        named.add(token.strip().toLowerCase(Locale.ROOT));
      }
    }
    Map<String, List<String>> out = new LinkedHashMap<>();
    for (Header h : req.headers()) {
      String lower = h.name().toLowerCase(Locale.ROOT);
      if (!AnswerRelay.HOP_BY_HOP.contains(lower)
          && !named.contains(lower)
          && !lower.equals("expect")) {
        out.put(h.name(), new ArrayList<>(h.allValues()));
      }
    }
    return out;
  }

  /** A body passed on as it arrives, cut off with a 413 past the cap. */
  private static final class Capped extends FilterInputStream {
    private final long cap;
    private long read;

    Capped(InputStream in, long cap) {
      super(in);
      this.cap = cap;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      if (n > 0 && (read += n) > cap) {
        throw new ApiException(
                413, "request body larger than " + cap + " bytes", Map.of(), "body_too_large")
            .closingConnection();
      }
      return n;
    }
  }
}
