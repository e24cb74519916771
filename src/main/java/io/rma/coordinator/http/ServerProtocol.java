package io.rma.coordinator.http;

import io.helidon.common.socket.SocketOptions;
import io.helidon.webserver.ErrorHandling;
import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.http.HttpRouting;
import io.rma.coordinator.routing.RoutingSettings;
import java.time.Duration;

/**
 * How the coordinator's one Helidon listener speaks HTTP to clients: its limits, the JSON answers
 * to protocol errors, the connection rules. Each setting here was chosen for a case in
 * ProtocolEdgeTest; docs/routing.md says what each one bought.
 */
public final class ServerProtocol {
  /** Longest request line (nginx's default is 8 KiB too); 414 beyond. */
  public static final int MAX_REQUEST_LINE = 8192;

  /** Largest request head; 431 beyond (ConnectionRules). */
  public static final int MAX_HEAD = 16384;

  /**
   * Helidon's own limit on a head, which it can only answer with a plain 400 (its direct handlers
   * are not told why): well past {@link #MAX_HEAD}, so heads between the two get a 431.
   */
  static final int HELIDON_MAX_HEAD = 64 * 1024;

  /** Requests in progress get this long to finish when the server stops. */
  static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(10);

  private ServerProtocol() {}

  /** The listener settings of {@code server}. */
  public static WebServerConfig.Builder configure(
      WebServerConfig.Builder server, RoutingSettings settings, Deadlines deadlines) {
    Duration head = settings.headTimeout();
    ClientConnections connections =
        ClientConnections.create(MAX_REQUEST_LINE, HELIDON_MAX_HEAD, head, deadlines);
    return server
        // One connection selector, ours (Helidon's HTTP/1.1 inside): no protocol discovery, so no
        // second candidate that would make Helidon close HTTP/1.0 connections without an answer.
        .protocolsDiscoverServices(false)
        .addConnectionSelector(connections)
        .directHandlers(ProtocolErrors.handlers(MAX_REQUEST_LINE, MAX_HEAD))
        // Helidon passes a safe message (e.g. of an invalid query) on to the JSON answer.
        .errorHandling(ErrorHandling.builder().includeEntity(true).build())
        // Small writes go out at once: streamed tokens are not held back by Nagle's algorithm
        // waiting for the client's delayed ACK.
        .connectionOptions(SocketOptions.builder().tcpNoDelay(true).build())
        // A connection waiting for a request line longer than this (idle, or trickling it) is
        // closed; the headers that follow have their own deadline (ClientConnections).
        .idleConnectionTimeout(head)
        .idleConnectionPeriod(Duration.ofMillis(Math.clamp(head.toMillis() / 4, 1000, 5000)))
        // Each route caps its own body (413 in JSON, then a lingering close); Helidon's own cap
        // would close the connection at once, before the client could read the answer.
        .maxPayloadSize(-1)
        .shutdownGracePeriod(SHUTDOWN_GRACE);
  }

  /** The connection rules: the first filter of {@code routing}. */
  public static void rules(
      HttpRouting.Builder routing, RoutingSettings settings, Deadlines deadlines) {
    ConnectionRules.register(
        routing, BodyBudget.of(Long.MAX_VALUE, deadlines, settings.bodyTimeout()));
  }
}
