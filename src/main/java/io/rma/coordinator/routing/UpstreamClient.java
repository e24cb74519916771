package io.rma.coordinator.routing;

import io.helidon.common.media.type.MediaTypes;
import io.helidon.http.HeaderNames;
import io.helidon.webclient.api.ConnectedSocketChannelInfo;
import io.helidon.webclient.api.ConnectedSocketInfo;
import io.helidon.webclient.api.ConnectionListener;
import io.helidon.webclient.http1.Http1Client;
import io.helidon.webclient.http1.Http1ClientRequest;
import io.helidon.webclient.http1.Http1ClientResponse;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.PortUnreachableException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Calls workers over HTTP/1.1 with Helidon's blocking client: pooled keep-alive connections per
 * worker, a connect timeout, and a read timeout that bounds both the wait for an answer and the gap
 * between two chunks of a streamed one. (The JDK client was measured too: see docs/routing.md.)
 */
final class UpstreamClient implements AutoCloseable {
  /**
   * Set on the calling thread when the call opened a new connection; a call that fails on a
   * connection taken from the pool, before any answer, hit a connection the worker had closed.
   */
  private static final ThreadLocal<Boolean> OPENED = new ThreadLocal<>();

  private final Http1Client client;
  private final Duration connectTimeout;
  private final Duration timeout;

  UpstreamClient(RoutingSettings settings) {
    this.connectTimeout = settings.connectTimeout();
    this.timeout = settings.upstreamTimeout();
    this.client =
        Http1Client.builder()
            .connectTimeout(settings.connectTimeout())
            .readTimeout(settings.upstreamTimeout())
            .followRedirects(false)
            .shareConnectionCache(false)
            .sendExpectContinue(false)
            .connectionListener(
                new ConnectionListener() {
                  @Override
                  public void socketConnected(ConnectedSocketInfo info) {
                    OPENED.set(Boolean.TRUE);
                  }

                  @Override
                  public void socketChannelConnected(ConnectedSocketChannelInfo info) {
                    OPENED.set(Boolean.TRUE);
                  }
                })
            .build();
  }

  /** An answer whose status and headers have arrived; the body is read from {@link #body()}. */
  static final class Answer implements AutoCloseable {
    private final Http1ClientResponse response;

    private Answer(Http1ClientResponse response) {
      this.response = response;
    }

    int status() {
      return response.status().code();
    }

    String contentType() {
      return response.headers().first(HeaderNames.CONTENT_TYPE).orElse(null);
    }

    InputStream body() {
      return response.inputStream();
    }

    /** Returns the connection to the pool when the body was read to the end, else closes it. */
    @Override
    public void close() {
      response.close();
    }
  }

  /**
   * POSTs {@code body} as JSON to {@code uri} with the given query parameters, and waits for the
   * status line and headers.
   */
  Answer post(String uri, Map<String, List<String>> query, byte[] body) throws UpstreamFailure {
    URI target;
    try {
      target = URI.create(uri);
    } catch (IllegalArgumentException e) {
      throw new UpstreamFailure(
          UpstreamFailure.Kind.NOT_SENT, "invalid endpoint " + uri + ": " + e.getMessage());
    }
    OPENED.remove();
    try {
      Http1ClientRequest request =
          client
              .post()
              .uri(target)
              .header(HeaderNames.CONTENT_TYPE, MediaTypes.APPLICATION_JSON_VALUE);
      query.forEach((name, values) -> request.queryParam(name, values.toArray(String[]::new)));
      return new Answer(request.submit(body));
    } catch (IllegalArgumentException e) {
      throw new UpstreamFailure(
          UpstreamFailure.Kind.NOT_SENT, "invalid endpoint " + uri + ": " + e.getMessage());
    } catch (RuntimeException e) {
      throw classify(e, !Boolean.TRUE.equals(OPENED.get()));
    } finally {
      OPENED.remove();
    }
  }

  /** A failure while reading an answer's body. */
  UpstreamFailure whileReading(RuntimeException e) {
    return has(e, SocketTimeoutException.class)
        ? timedOut()
        : new UpstreamFailure(UpstreamFailure.Kind.FAILED, "answer cut off: " + describe(e));
  }

  private UpstreamFailure classify(RuntimeException e, boolean reused) {
    if (has(e, ConnectException.class)) {
      return new UpstreamFailure(UpstreamFailure.Kind.NOT_SENT, "connection refused");
    }
    if (has(e, NoRouteToHostException.class) || has(e, PortUnreachableException.class)) {
      return new UpstreamFailure(UpstreamFailure.Kind.NOT_SENT, "unreachable");
    }
    if (has(e, UnknownHostException.class)) {
      return new UpstreamFailure(UpstreamFailure.Kind.NOT_SENT, "unknown host");
    }
    SocketTimeoutException t = find(e, SocketTimeoutException.class);
    if (t != null) {
      String m = String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT);
      return m.contains("connect")
          ? new UpstreamFailure(
              UpstreamFailure.Kind.NOT_SENT, "connect timed out after " + seconds(connectTimeout))
          : timedOut();
    }
    if (reused) {
      return new UpstreamFailure(
          UpstreamFailure.Kind.STALE, "kept-alive connection closed before an answer");
    }
    return new UpstreamFailure(UpstreamFailure.Kind.FAILED, describe(e));
  }

  private UpstreamFailure timedOut() {
    return new UpstreamFailure(
        UpstreamFailure.Kind.TIMEOUT, "no answer within " + seconds(timeout));
  }

  private static String seconds(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
  }

  private static String describe(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String m = root.getMessage();
    return m == null || m.isBlank() ? root.getClass().getSimpleName() : m;
  }

  private static boolean has(Throwable e, Class<? extends Throwable> type) {
    return find(e, type) != null;
  }

  private static <T extends Throwable> T find(Throwable e, Class<T> type) {
    for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (type.isInstance(c)) {
        return type.cast(c);
      }
    }
    return null;
  }

  @Override
  public void close() {
    client.closeResource();
  }
}
