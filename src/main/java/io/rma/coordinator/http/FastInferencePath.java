package io.rma.coordinator.http;

import io.helidon.common.buffers.BufferData;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.http1.Http1Config;
import io.helidon.webserver.http1.Http1ConnectionSelector;
import io.helidon.webserver.spi.ServerConnection;
import io.helidon.webserver.spi.ServerConnectionSelector;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * The inference fast path: HTTP/1.1 connections on the coordinator's port are first offered to
 * {@link FastInferenceConnection}, which serves the inference routes itself (a lean request parser
 * and answer writer around the same handlers, {@link Router} and worker client) and hands the
 * connection to Helidon's HTTP/1.1 connection, unchanged, at the first request it does not serve.
 *
 * <p>Why: a proxied request is cheap work (select, one worker call, copy the answer), and Helidon's
 * per-request server work (request and response objects, header validation, route matching,
 * per-request metrics) cost as much CPU as the call itself; see docs/routing.md.
 */
public final class FastInferencePath implements ServerConnectionSelector {
  private static final String HTTP_1_1 = " HTTP/1.1\r";

  private final InferenceRouting routing;
  private final BooleanSupplier serving;
  private final ClientRateLimiter rate;
  private final long maxBodyBytes;
  private final Http1ConnectionSelector http1;

  /**
   * @param routing the inference handlers
   * @param serving false on a standby replica: its requests go to Helidon (which answers 503)
   * @param rate the per-client inference limit (the same one Helidon's filter uses)
   */
  public FastInferencePath(
      InferenceRouting routing, BooleanSupplier serving, ClientRateLimiter rate) {
    this.routing = routing;
    this.serving = serving;
    this.rate = rate;
    this.maxBodyBytes = routing.maxBodyBytes();
    this.http1 = Http1ConnectionSelector.builder().config(Http1Config.create()).build();
  }

  @Override
  public int bytesToIdentifyConnection() {
    return 0;
  }

  /** Every HTTP/1.1 connection; others (and a first line not yet read whole) go to Helidon. */
  @Override
  public Support supports(BufferData data) {
    int lf = data.indexOf((byte) '\n');
    if (lf == -1) {
      return Support.UNKNOWN;
    }
    return data.readString(lf).endsWith(HTTP_1_1) ? Support.SUPPORTED : Support.UNSUPPORTED;
  }

  @Override
  public Set<String> supportedApplicationProtocols() {
    return Set.of();
  }

  @Override
  public ServerConnection connection(ConnectionContext ctx) {
    return new FastInferenceConnection(ctx, this);
  }

  InferenceRouting.Handler handler(boolean post, String path) {
    return serving.getAsBoolean() ? routing.handler(post, path) : null;
  }

  Router router() {
    return routing.router();
  }

  ClientRateLimiter rate() {
    return rate;
  }

  long maxBodyBytes() {
    return maxBodyBytes;
  }

  /** The in-flight body budget, shared with Helidon's routes. */
  BodyBudget budget() {
    return routing.budget();
  }

  /** Helidon's own HTTP/1.1 connection, for everything the fast path does not serve. */
  ServerConnection http1(ConnectionContext ctx) {
    return http1.connection(ctx);
  }
}
