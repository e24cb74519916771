package io.rma.coordinator.http;

import io.helidon.common.buffers.DataReader;
import io.helidon.common.socket.SocketOptions;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.webclient.api.DnsAddressLookup;
import io.helidon.webclient.api.Proxy;
import io.helidon.webclient.http1.Http1Client;
import io.helidon.webclient.http1.Http1ClientRequest;
import io.helidon.webclient.http1.Http1ClientResponse;
import io.helidon.webclient.spi.DnsResolver;
import io.rma.coordinator.routing.RoutingSettings;
import io.rma.coordinator.routing.UpstreamFailure;
import io.rma.coordinator.routing.UpstreamFailure.Kind;
import io.rma.coordinator.security.EndpointPolicy;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.NoRouteToHostException;
import java.net.PortUnreachableException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import javax.net.ssl.SSLException;

/**
 * Calls workers with Helidon's WebClient: kept-alive connections pooled per worker address, a
 * connect timeout, a read timeout that bounds both the wait for an answer and the gap between two
 * pieces of a streamed one, and a write deadline (a worker that stops reading cannot hold a
 * request). Redirects are passed back, never followed, and no {@code Expect: 100-continue} is sent.
 *
 * <p>The SSRF guard runs in WebClient's DNS-resolver hook, so it judges every new connection at
 * call time (DNS may have changed since the worker registered) and the connection goes to the
 * address that was checked: there is no second lookup.
 */
final class WorkerClient implements AutoCloseable {
  private final Http1Client client;
  private final Duration connectTimeout;
  private final Duration timeout;
  private final Deadlines deadlines;
  private volatile boolean closed;

  WorkerClient(RoutingSettings settings, EndpointPolicy guard, Deadlines deadlines) {
    this.connectTimeout = settings.connectTimeout();
    this.timeout = settings.upstreamTimeout();
    this.deadlines = deadlines;
    // HTTP/1.1's own client, not WebClient's generic one: no protocol discovery per request (an
    // endpoint cache keyed on TLS settings whose hash copies SSL parameters: 5 % of a request).
    this.client =
        Http1Client.builder()
            .dnsResolver(new GuardedResolver(guard))
            .socketOptions(
                SocketOptions.builder()
                    .connectTimeout(connectTimeout)
                    .readTimeout(timeout)
                    // Small writes go out at once: a request is not held back by Nagle's algorithm.
                    .tcpNoDelay(true)
                    .socketKeepAlive(true)
                    .build())
            .proxy(Proxy.noProxy())
            .followRedirects(false)
            .sendExpectContinue(false)
            .shareConnectionCache(false)
            .keepAlive(true)
            .addService(new AnswerGuard())
            .build();
  }

  /** An answer whose status and headers have arrived; the body is read from {@link #body()}. */
  static final class Answer implements AutoCloseable {
    private final Http1ClientResponse response;
    private final InputStream body;

    private Answer(Http1ClientResponse response, AnswerGuard.GuardedBody raw) {
      this.response = response;
      this.body = raw == null ? response.inputStream() : new AnswerGuard.Direct(raw, response);
    }

    int status() {
      return response.status().code();
    }

    /** The Content-Type as the worker sent it, or null. */
    String contentType() {
      return response.headers().first(HeaderNames.CONTENT_TYPE).orElse(null);
    }

    /** The declared length of the body, or -1 (chunked or unknown). */
    long contentLength() {
      if (status() == 204 || status() == 304) {
        return 0;
      }
      return response.headers().contentLength().orElse(-1);
    }

    /** The names of the answer's headers, as sent. */
    List<String> headerNames() {
      List<String> names = new java.util.ArrayList<>();
      response.headers().forEach(h -> names.add(h.name()));
      return names;
    }

    /** Every value of an answer header. */
    List<String> header(String name) {
      return response.headers().all(HeaderNames.create(name), List::of);
    }

    InputStream body() {
      return body;
    }

    /**
     * Gives the connection back to the pool when the body was read to its end and the worker keeps
     * it open; else closes it, which tells the worker that nobody waits for the rest.
     */
    @Override
    public void close() {
      response.close();
    }
  }

  /** POSTs {@code body} as JSON to {@code base + path} and waits for the status and headers. */
  Answer post(String base, String path, Map<String, List<String>> query, byte[] body)
      throws UpstreamFailure {
    Http1ClientRequest request = request(Method.POST, base, path, query);
    request.header(HeaderNames.CONTENT_TYPE, "application/json");
    return send(() -> request.submit(body));
  }

  /** Writes a request body to the worker. */
  @FunctionalInterface
  interface BodyWriter {
    void write(OutputStream out) throws IOException;
  }

  /**
   * Sends {@code method base+target} with {@code headers} and a body from {@code writer} ({@code
   * length} bytes, -1 for chunked, or null {@code writer} for none), and waits for the status and
   * headers. {@code target} is a path and query as a client sent them, already encoded: they go to
   * the worker byte for byte (an encoded slash stays encoded).
   */
  Answer call(
      Method method,
      String base,
      String target,
      Map<String, List<String>> headers,
      BodyWriter writer,
      long length)
      throws UpstreamFailure {
    // WebClient decodes the path and query of a URI and encodes them again (an encoded slash would
    // become a slash, repeated query names would be joined); told to skip the encoding, it writes
    // the decoded path. Encoded once more here, query included in the path, that decoded path is
    // the client's own bytes.
    int q = target.indexOf('?');
    String once =
        q < 0
            ? target.replace("%", "%25")
            : target.substring(0, q).replace("%", "%25")
                + "%3F"
                + target.substring(q + 1).replace("%", "%25");
    Http1ClientRequest request = request(method, base, once, Map.of());
    request.skipUriEncoding(true);
    headers.forEach((name, values) -> request.header(HeaderNames.create(name), values));
    if (writer == null) {
      return send(request::request);
    }
    if (length >= 0) {
      request.header(HeaderNames.CONTENT_LENGTH, String.valueOf(length));
    }
    return send(
        () ->
            request.outputStream(
                out -> {
                  writer.write(out);
                  out.close();
                }));
  }

  private Http1ClientRequest request(
      Method method, String base, String path, Map<String, List<String>> query)
      throws UpstreamFailure {
    if (closed) {
      throw new UpstreamFailure(Kind.NOT_SENT, "the coordinator is stopping");
    }
    Http1ClientRequest request;
    try {
      URI uri = URI.create(base + path);
      if (!"http".equalsIgnoreCase(uri.getScheme()) && !"https".equalsIgnoreCase(uri.getScheme())) {
        throw new IllegalArgumentException("the scheme must be http or https");
      }
      request = client.method(method).uri(uri);
    } catch (IllegalArgumentException e) {
      throw new UpstreamFailure(Kind.NOT_SENT, "invalid endpoint " + base + ": " + rootMessage(e));
    }
    query.forEach((name, values) -> request.queryParam(name, values.toArray(String[]::new)));
    return request;
  }

  /**
   * Sends under the write deadline: a worker that stops reading a request body would block the
   * write for good, so the deadline closes the connection under it (reads have the socket's read
   * timeout).
   */
  private Answer send(Supplier<Http1ClientResponse> submit) throws UpstreamFailure {
    Deadlines.Deadline writing = deadlines.start(connectTimeout.plus(timeout));
    Http1ClientResponse response;
    AnswerGuard.GuardedBody raw;
    try {
      response = submit.get();
      writing.end();
    } catch (ApiException e) {
      writing.end();
      throw e; // the client's body broke a limit while it was passed on
    } catch (RuntimeException e) {
      throw failure(e, writing.end());
    } finally {
      raw = AnswerGuard.BODY.get();
      AnswerGuard.BODY.remove();
    }
    if (response.status().code() < 200) {
      response.close();
      throw new UpstreamFailure(
          Kind.FAILED,
          "answered with the interim status "
              + response.status().code()
              + " where a final one was due");
    }
    return new Answer(response, raw);
  }

  /** Why a call produced no answer, and how far it got. */
  UpstreamFailure failure(Exception e, boolean deadlinePassed) {
    if (find(e, GuardedResolver.Refused.class) instanceof GuardedResolver.Refused r) {
      return new UpstreamFailure(Kind.NOT_SENT, "refused by the endpoint guard: " + r.getMessage());
    }
    if (find(e, ConnectException.class) != null) {
      return new UpstreamFailure(Kind.NOT_SENT, "connection refused");
    }
    if (find(e, UnknownHostException.class) != null) {
      return new UpstreamFailure(Kind.NOT_SENT, "unknown host");
    }
    if (find(e, NoRouteToHostException.class) != null
        || find(e, PortUnreachableException.class) != null) {
      return new UpstreamFailure(Kind.NOT_SENT, "unreachable");
    }
    if (find(e, SSLException.class) != null) {
      return new UpstreamFailure(Kind.NOT_SENT, "TLS handshake failed: " + rootMessage(e));
    }
    SocketTimeoutException timedOut = find(e, SocketTimeoutException.class);
    if (timedOut != null && String.valueOf(timedOut.getMessage()).startsWith("Connect")) {
      return new UpstreamFailure(
          Kind.NOT_SENT, "connect timed out after " + seconds(connectTimeout));
    }
    if (timedOut != null || deadlinePassed) {
      return timedOut();
    }
    if (find(e, DataReader.InsufficientDataAvailableException.class) != null) {
      return new UpstreamFailure(Kind.FAILED, "the worker closed the connection before answering");
    }
    return new UpstreamFailure(Kind.FAILED, rootMessage(e));
  }

  /** A failure while reading an answer's body. */
  UpstreamFailure whileReading(Exception e) {
    if (find(e, SocketTimeoutException.class) != null) {
      return timedOut();
    }
    return new UpstreamFailure(
        Kind.FAILED,
        "answer cut off: "
            + (find(e, DataReader.InsufficientDataAvailableException.class) != null
                ? "the worker closed the connection"
                : rootMessage(e)));
  }

  private UpstreamFailure timedOut() {
    return new UpstreamFailure(Kind.TIMEOUT, "no answer within " + seconds(timeout));
  }

  private static String seconds(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
  }

  static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String m = root.getMessage();
    return m == null || m.isBlank() ? root.getClass().getSimpleName() : m;
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
    closed = true;
    client.closeResource();
  }

  /**
   * The SSRF guard as WebClient's resolver: a worker's host is resolved (or, for an address
   * literal, read without a lookup), every address must pass the guard, and the first is the one
   * connected to.
   */
  static final class GuardedResolver implements DnsResolver {
    private final EndpointPolicy guard;

    GuardedResolver(EndpointPolicy guard) {
      this.guard = guard;
    }

    /** The guard refused the worker's address: nothing was sent. */
    static final class Refused extends RuntimeException {
      Refused(String message) {
        super(message, null, false, false);
      }
    }

    @Override
    public InetAddress resolveAddress(String hostname, DnsAddressLookup lookup) {
      List<InetAddress> addresses;
      try {
        addresses = guard.resolve(hostname);
      } catch (UnknownHostException e) {
        throw new UncheckedIOException(e);
      }
      Optional<String> refusal = guard.addressesRefusal(hostname, addresses);
      if (refusal.isPresent()) {
        throw new Refused(refusal.get());
      }
      return addresses.getFirst();
    }
  }
}
