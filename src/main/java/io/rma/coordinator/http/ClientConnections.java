package io.rma.coordinator.http;

import io.helidon.common.buffers.BufferData;
import io.helidon.common.buffers.DataReader;
import io.helidon.common.concurrency.limits.Limit;
import io.helidon.http.Headers;
import io.helidon.http.HttpPrologue;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.http1.Http1Config;
import io.helidon.webserver.http1.Http1ConnectionListener;
import io.helidon.webserver.http1.Http1ConnectionSelector;
import io.helidon.webserver.spi.ServerConnection;
import io.helidon.webserver.spi.ServerConnectionSelector;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.Set;

/**
 * Helidon's HTTP/1.1 connections with what a server facing the open internet needs around them,
 * none of it HTTP parsing of our own (Helidon parses every request):
 *
 * <ul>
 *   <li>a head deadline: a request line and headers must arrive within {@code headTimeout}
 *       (Helidon's idle-connection check bounds the wait for a request line; the headers that
 *       follow are bounded here), so connections that trickle a byte now and then are closed;
 *   <li>a TLS ClientHello on this plain port is closed at once instead of waiting for a line end;
 *   <li>a request line whose method is not upper case is a 400 ({@link RequestLines});
 *   <li>a lingering close: when a connection ends while the client may still be sending (an early
 *       413, a 401 before the body was read, an error Helidon answered itself), what it sends is
 *       read and dropped for a moment before the socket closes, so the client's kernel does not
 *       throw the answer away on a reset.
 * </ul>
 */
final class ClientConnections implements ServerConnectionSelector {
  private static final Logger LOG = System.getLogger(ClientConnections.class.getName());

  /** The first byte of a TLS handshake record: a ClientHello sent to the plain port. */
  private static final byte TLS_HANDSHAKE = 0x16;

  /** How long, and how much, a closing connection's late bytes are read and dropped. */
  static final Duration LINGER = Duration.ofSeconds(1);

  static final long LINGER_BYTES = 64L * 1024 * 1024;

  private final Http1ConnectionSelector http1;
  private final Deadlines deadlines;

  private ClientConnections(Http1ConnectionSelector http1, Deadlines deadlines) {
    this.http1 = http1;
    this.deadlines = deadlines;
  }

  /**
   * The only connection selector of the listener: HTTP/1.1 with these limits.
   *
   * @param maxPrologue longest request line (414 beyond)
   * @param maxHeaders largest request head (431 beyond)
   * @param headTimeout longest wait for a request's headers once its request line is in
   */
  static ClientConnections create(
      int maxPrologue, int maxHeaders, Duration headTimeout, Deadlines deadlines) {
    Http1Config config =
        Http1Config.builder()
            .maxPrologueLength(maxPrologue)
            .maxHeadersSize(maxHeaders)
            // Answers carry no "Connection: keep-alive": HTTP/1.1 keeps connections by default.
            .sendKeepAliveHeader(false)
            .addReceiveListener(new HeadDeadline(deadlines, headTimeout.toNanos()))
            .build();
    return new ClientConnections(
        Http1ConnectionSelector.builder().config(config).build(), deadlines);
  }

  @Override
  public int bytesToIdentifyConnection() {
    return 0;
  }

  @Override
  public Support supports(BufferData request) {
    return http1.supports(request);
  }

  @Override
  public Set<String> supportedApplicationProtocols() {
    return http1.supportedApplicationProtocols();
  }

  @Override
  public ServerConnection connection(ConnectionContext ctx) {
    RequestLines checked = new RequestLines(ctx);
    return new Guarded(checked, http1.connection(checked));
  }

  /** One client connection: Helidon's, with the TLS check first and the lingering close last. */
  private final class Guarded implements ServerConnection {
    private final ConnectionContext ctx;
    private final ServerConnection http;
    private volatile Thread waitingForFirstByte;

    Guarded(ConnectionContext ctx, ServerConnection http) {
      this.ctx = ctx;
      this.http = http;
    }

    @Override
    public void handle(Limit limit) throws InterruptedException {
      if (!firstByteIsHttp()) {
        return;
      }
      try {
        http.handle(limit);
      } finally {
        linger();
      }
    }

    /** Waits for the first byte (the idle check may end the wait); false: close the connection. */
    private boolean firstByteIsHttp() {
      waitingForFirstByte = Thread.currentThread();
      try {
        if (ctx.dataReader().lookup() == TLS_HANDSHAKE) {
          LOG.log(
              Level.DEBUG,
              () -> "closing a connection that sent a TLS handshake to the plain HTTP port");
          return false;
        }
        return true;
      } catch (RuntimeException e) {
        return false; // closed, reset or timed out before a byte came
      } finally {
        waitingForFirstByte = null;
        Thread.interrupted();
      }
    }

    /**
     * A lingering close (RFC 9112 §9.6): what the client still sends is read and dropped until it
     * closes (a client closes once it has read an answer that said {@code Connection: close}),
     * {@link #LINGER} passes or {@link #LINGER_BYTES} were read; the caller then closes the socket.
     * Closing with unread bytes would send a reset, which can make the client's kernel drop the
     * answer before the client reads it. (Helidon gives a connection no way to half-close its
     * socket first, which would let a client that waits for the end of the stream see it at once.)
     */
    private void linger() {
      DataReader reader = ctx.dataReader();
      try (Deadlines.Deadline d = deadlines.start(LINGER)) {
        long dropped = reader.available();
        reader.skip(reader.available());
        while (dropped < LINGER_BYTES) {
          byte[] late = ctx.serverSocket().get();
          if (late == null) {
            return;
          }
          dropped += late.length;
        }
      } catch (RuntimeException e) {
        // closed, reset, or the deadline closed it: the connection is ending either way
      }
    }

    @Override
    public Duration idleTime() {
      return http.idleTime();
    }

    @Override
    public void close(boolean interrupt) {
      Thread waiting = waitingForFirstByte;
      if (waiting != null) {
        waiting.interrupt(); // idle before its first byte: the wait ends, the socket closes
      }
      http.close(interrupt);
    }
  }

  /**
   * Bounds the wait for a request's headers once its request line is in: the connection's thread is
   * interrupted past the deadline, which closes its socket.
   */
  private static final class HeadDeadline implements Http1ConnectionListener {
    private final ThreadLocal<Deadlines.Deadline> pending = new ThreadLocal<>();
    private final Deadlines deadlines;
    private final long nanos;

    HeadDeadline(Deadlines deadlines, long nanos) {
      this.deadlines = deadlines;
      this.nanos = nanos;
    }

    @Override
    public void prologue(ConnectionContext ctx, HttpPrologue prologue) {
      pending.set(deadlines.start(nanos));
    }

    @Override
    public void headers(ConnectionContext ctx, Headers headers) {
      if (ctx instanceof RequestLines lines) {
        lines.headersRead();
      }
      Deadlines.Deadline d = pending.get();
      if (d != null) {
        pending.remove();
        d.end();
      }
    }
  }
}
