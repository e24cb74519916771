package io.rma.coordinator.http;

import io.rma.coordinator.routing.RoutingSettings;
import io.rma.coordinator.routing.UpstreamFailure;
import io.rma.coordinator.security.EndpointPolicy;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.PortUnreachableException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * Calls workers: a small HTTP/1.1 client for exactly what routing needs (POST a JSON body, read the
 * status and headers, then the body whole or as it arrives). Connections are kept alive in a pool
 * per worker endpoint; one taken from the pool is first checked without blocking for a close the
 * worker sent while it was idle. Reads time out after the upstream timeout, which bounds both the
 * wait for an answer and the gap between two chunks of a streamed one; writes time out after it
 * too, so a worker that stops reading cannot hold a request either.
 *
 * <p>Timeouts are deadlines that one watchdog thread checks a few times a second, closing the
 * connection of a read or write past its deadline, rather than socket read timeouts: a timed read
 * parks the virtual thread with a timer, and arming and cancelling that timer on every call cost
 * about a quarter of the coordinator's CPU per proxied request (docs/routing.md).
 *
 * <p>Why not Helidon's WebClient or the JDK's HttpClient: measured in bench/ClientChoice.java, a
 * proxy built on either spent about twice the CPU per request of this client (Helidon's pool starts
 * a watcher thread on every reuse; the JDK client hands each call between threads), and on a small
 * machine that halves the requests per second the coordinator can pass on. See docs/routing.md.
 */
final class UpstreamClient implements AutoCloseable {
  static final int MAX_IDLE_PER_ENDPOINT = 256;

  /**
   * Below the 5 s after which uvicorn (vLLM, most Python workers) closes an idle connection: the
   * coordinator drops a connection before the worker can, so the two never race.
   */
  static final Duration MAX_IDLE = Duration.ofSeconds(4);

  private static final int MAX_HEADER_BYTES = 64 * 1024;
  private static final int BUFFER = 8192;

  private final int connectTimeoutMillis;
  private final long timeoutNanos;
  private final Set<Connection> open = ConcurrentHashMap.newKeySet();
  private final ScheduledExecutorService watchdog;
  private final Duration connectTimeout;
  private final Duration timeout;
  private final long maxIdleNanos;
  private final ConcurrentHashMap<String, Endpoint> endpoints = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<Endpoint, IdleConnections> idle = new ConcurrentHashMap<>();
  private volatile boolean closed;
  private volatile long lastSweep = System.nanoTime();
  private static final VarHandle LAST_SWEEP;

  static {
    try {
      LAST_SWEEP =
          MethodHandles.lookup().findVarHandle(UpstreamClient.class, "lastSweep", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final EndpointPolicy guard;

  UpstreamClient(RoutingSettings settings, EndpointPolicy guard) {
    this.guard = guard;
    this.connectTimeout = settings.connectTimeout();
    this.timeout = settings.upstreamTimeout();
    this.connectTimeoutMillis = (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis());
    this.timeoutNanos = timeout.toNanos();
    this.maxIdleNanos = MAX_IDLE.toNanos();
    // Deadlines are checked every 1/20 of the timeout (10 ms to 250 ms): a timeout is noticed at
    // most that late.
    this.watchdog =
        Watchdog.start(
            "rma-upstream-deadlines", Math.clamp(timeout.toMillis() / 20, 10, 250), this::expire);
  }

  /** Closes the connections whose read or write is past its deadline. */
  private void expire() {
    long now = System.nanoTime();
    for (Connection c : open) {
      c.expireIf(now);
    }
  }

  /** Where a worker's service listens, parsed once from its base URL. */
  record Endpoint(boolean tls, String host, int port, String prefix, String hostHeader) {
    static Endpoint parse(String base) {
      URI u = URI.create(base);
      String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
      if (!scheme.equals("http") && !scheme.equals("https")) {
        throw new IllegalArgumentException("scheme must be http or https");
      }
      String host = u.getHost();
      if (host == null || host.isEmpty()) {
        throw new IllegalArgumentException("no host");
      }
      boolean tls = scheme.equals("https");
      int port = u.getPort() > 0 ? u.getPort() : tls ? 443 : 80;
      String prefix = u.getRawPath() == null ? "" : u.getRawPath();
      while (prefix.endsWith("/")) {
        prefix = prefix.substring(0, prefix.length() - 1);
      }
      String bare = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
      return new Endpoint(
          tls, bare, port, prefix, u.getPort() > 0 ? host + ":" + u.getPort() : host);
    }
  }

  /** An answer whose status and headers have arrived; the body is read from {@link #body()}. */
  final class Answer implements AutoCloseable {
    private final Connection connection;
    private final int status;
    private final String contentType;
    private final long contentLength;
    private final Body body;

    private Answer(
        Connection connection, int status, String contentType, long contentLength, Body body) {
      this.connection = connection;
      this.status = status;
      this.contentType = contentType;
      this.contentLength = contentLength;
      this.body = body;
    }

    int status() {
      return status;
    }

    String contentType() {
      return contentType;
    }

    /** The declared length of the body, or -1 (chunked or unknown). */
    long contentLength() {
      return contentLength;
    }

    InputStream body() {
      return body;
    }

    /**
     * Returns the connection to the pool when the body was read to its end and the worker keeps it
     * open; else closes it, which tells the worker that nobody waits for the rest.
     */
    @Override
    public void close() {
      if (body.complete() && body.reusable()) {
        release(connection);
      } else {
        connection.close();
      }
    }
  }

  /**
   * POSTs {@code body} as JSON to {@code base + path} with the given query parameters, and waits
   * for the status line and headers.
   */
  Answer post(String base, String path, Map<String, List<String>> query, byte[] body)
      throws UpstreamFailure {
    if (closed) {
      throw new UpstreamFailure(UpstreamFailure.Kind.NOT_SENT, "the coordinator is stopping");
    }
    Endpoint endpoint = endpoint(base);
    byte[] head = head(endpoint, path, query, body.length);
    sweepNowAndThen();
    Connection c = pooled(endpoint);
    boolean reused = c != null;
    if (c == null) {
      c = connect(endpoint);
    }
    try {
      c.write(head, body);
    } catch (IOException e) {
      c.close();
      throw lostWhileSending(e);
    }
    try {
      return readAnswer(c);
    } catch (SocketTimeoutException e) {
      c.close();
      throw timedOut();
    } catch (IOException | RuntimeException e) {
      c.close();
      if (reused && c.received == 0) {
        throw new UpstreamFailure(
            UpstreamFailure.Kind.STALE, "kept-alive connection closed before an answer");
      }
      throw new UpstreamFailure(UpstreamFailure.Kind.FAILED, describe(e));
    }
  }

  /** The endpoint of a worker's base URL, parsed once. */
  Endpoint endpoint(String base) throws UpstreamFailure {
    try {
      return endpoints.computeIfAbsent(base, Endpoint::parse);
    } catch (IllegalArgumentException e) {
      throw new UpstreamFailure(
          UpstreamFailure.Kind.NOT_SENT, "invalid endpoint " + base + ": " + e.getMessage());
    }
  }

  /** Reads the status line and headers (skipping 1xx answers) and sets up the body. */
  private Answer readAnswer(Connection c) throws IOException {
    while (true) {
      String status = c.line(8192);
      if (!status.startsWith("HTTP/1.") || status.length() < 12 || status.charAt(8) != ' ') {
        throw new IOException("not an HTTP/1.x answer: " + abbreviate(status));
      }
      int code;
      try {
        code = Integer.parseInt(status.substring(9, 12));
      } catch (NumberFormatException e) {
        throw new IOException("malformed status line: " + abbreviate(status));
      }
      boolean http10 = status.startsWith("HTTP/1.0");
      String contentType = null;
      long length = -1;
      boolean chunked = false;
      boolean close = false;
      boolean keepAlive = false;
      int headerBytes = 0;
      for (String h = c.line(8192); !h.isEmpty(); h = c.line(8192)) {
        headerBytes += h.length();
        if (headerBytes > MAX_HEADER_BYTES) {
          throw new IOException("answer headers larger than " + MAX_HEADER_BYTES + " bytes");
        }
        int colon = h.indexOf(':');
        if (colon <= 0) {
          continue;
        }
        if (isHeader(h, colon, "content-type")) {
          contentType = h.substring(colon + 1).trim();
        } else if (isHeader(h, colon, "content-length")) {
          String value = h.substring(colon + 1).trim();
          try {
            length = Long.parseLong(value);
          } catch (NumberFormatException e) {
            throw new IOException("malformed Content-Length: " + abbreviate(value));
          }
        } else if (isHeader(h, colon, "transfer-encoding")) {
          chunked = h.substring(colon + 1).toLowerCase(Locale.ROOT).contains("chunked");
        } else if (isHeader(h, colon, "connection")) {
          String v = h.substring(colon + 1).toLowerCase(Locale.ROOT);
          close |= v.contains("close");
          keepAlive |= v.contains("keep-alive");
        }
      }
      if (code >= 100 && code < 200) {
        continue; // 100 Continue, 103 Early Hints: the real answer follows
      }
      boolean reusable = http10 ? keepAlive && !close : !close;
      Body body;
      if (code == 204 || code == 304) {
        body = new FixedBody(c, 0, reusable);
        length = 0;
      } else if (chunked) {
        body = new ChunkedBody(c, reusable);
        length = -1;
      } else if (length >= 0) {
        body = new FixedBody(c, length, reusable);
      } else {
        body = new UntilCloseBody(c);
      }
      return new Answer(c, code, contentType, length, body);
    }
  }

  /** Whether the header line's name (before {@code colon}, spaces allowed) is {@code name}. */
  private static boolean isHeader(String line, int colon, String name) {
    int end = colon;
    while (end > 0 && line.charAt(end - 1) == ' ') {
      end--;
    }
    return end == name.length() && line.regionMatches(true, 0, name, 0, end);
  }

  static String abbreviate(String s) {
    return s.length() <= 80 ? s : s.substring(0, 80) + "...";
  }

  /** A failure while reading an answer's body. */
  UpstreamFailure whileReading(Exception e) {
    return find(e, SocketTimeoutException.class) != null
        ? timedOut()
        : new UpstreamFailure(UpstreamFailure.Kind.FAILED, "answer cut off: " + describe(e));
  }

  /**
   * The request head up to the Content-Length value, per endpoint and path, for requests without
   * query parameters (all but rag and graph): built once, not per request.
   */
  private final ConcurrentHashMap<Endpoint, ConcurrentHashMap<String, byte[]>> heads =
      new ConcurrentHashMap<>();

  byte[] head(Endpoint endpoint, String path, Map<String, List<String>> query, int length) {
    if (!query.isEmpty() || heads.size() > 4096) {
      return head(endpoint, path, query, Integer.toString(length));
    }
    byte[] start =
        heads
            .computeIfAbsent(endpoint, e -> new ConcurrentHashMap<>())
            .computeIfAbsent(path, p -> head(endpoint, path, Map.of(), ""));
    byte[] end = (length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
    byte[] all = Arrays.copyOf(start, start.length - 4 + end.length);
    System.arraycopy(end, 0, all, start.length - 4, end.length);
    return all;
  }

  private static byte[] head(
      Endpoint endpoint, String path, Map<String, List<String>> query, String length) {
    StringBuilder h = new StringBuilder(160).append("POST ").append(endpoint.prefix()).append(path);
    char sep = path.indexOf('?') < 0 ? '?' : '&';
    for (Map.Entry<String, List<String>> q : query.entrySet()) {
      for (String v : q.getValue()) {
        h.append(sep)
            .append(URLEncoder.encode(q.getKey(), StandardCharsets.UTF_8))
            .append('=')
            .append(URLEncoder.encode(v, StandardCharsets.UTF_8));
        sep = '&';
      }
    }
    h.append(" HTTP/1.1\r\nHost: ")
        .append(endpoint.hostHeader())
        .append("\r\nContent-Type: application/json\r\nContent-Length: ")
        .append(length)
        .append("\r\n\r\n");
    return h.toString().getBytes(StandardCharsets.UTF_8);
  }

  private Connection pooled(Endpoint endpoint) {
    IdleConnections q = idle.get(endpoint);
    if (q == null) {
      return null;
    }
    Connection c;
    while ((c = q.poll()) != null) {
      if (System.nanoTime() - c.idleSince < maxIdleNanos && c.stillOpen()) {
        return c;
      }
      c.close();
    }
    return null;
  }

  /**
   * Closes connections idle past {@link #MAX_IDLE} for every endpoint, at most once per that
   * period: a worker that left the pool is never asked for a connection again.
   */
  private void sweepNowAndThen() {
    long now = System.nanoTime();
    long last = lastSweep;
    if (now - last < maxIdleNanos || !LAST_SWEEP.compareAndSet(this, last, now)) {
      return;
    }
    // Empty queues stay: removing one could race with a release into it.
    idle.forEach((endpoint, q) -> q.closeIdleSince(now - maxIdleNanos));
  }

  private void release(Connection c) {
    if (closed) {
      c.close();
      return;
    }
    c.idleSince = System.nanoTime();
    IdleConnections q = idle.computeIfAbsent(c.endpoint, e -> new IdleConnections());
    if (!q.offer(c)) {
      c.close();
    }
  }

  /**
   * An endpoint's idle connections, most recently used first (the likeliest to be alive), at most
   * {@link #MAX_IDLE_PER_ENDPOINT}; counted apart because a deque's size() walks it.
   */
  private static final class IdleConnections {
    private final ConcurrentLinkedDeque<Connection> q = new ConcurrentLinkedDeque<>();
    private final AtomicInteger size = new AtomicInteger();

    boolean offer(Connection c) {
      if (size.incrementAndGet() > MAX_IDLE_PER_ENDPOINT) {
        size.decrementAndGet();
        return false;
      }
      q.offerFirst(c);
      return true;
    }

    Connection poll() {
      Connection c = q.pollFirst();
      if (c != null) {
        size.decrementAndGet();
      }
      return c;
    }

    void closeIdleSince(long before) {
      q.removeIf(
          c -> {
            boolean old = c.idleSince - before <= 0;
            if (old) {
              c.close();
            }
            return old;
          });
      size.set(q.size()); // once per sweep: corrects any count a concurrent poll raced with
    }

    void closeAll() {
      Connection c;
      while ((c = poll()) != null) {
        c.close();
      }
    }
  }

  /** The address to call for the endpoint's host, or a failure naming why the guard refused. */
  InetAddress allowed(Endpoint endpoint) throws UpstreamFailure, UnknownHostException {
    List<InetAddress> addresses = guard.resolve(endpoint.host());
    Optional<String> refusal = guard.addressesRefusal(endpoint.host(), addresses);
    if (refusal.isPresent()) {
      throw new UpstreamFailure(
          UpstreamFailure.Kind.NOT_SENT, "refused by the endpoint guard: " + refusal.get());
    }
    return addresses.get(0);
  }

  private Connection connect(Endpoint endpoint) throws UpstreamFailure {
    SocketChannel channel = null;
    try {
      channel = SocketChannel.open();
      Socket socket = channel.socket();
      socket.setTcpNoDelay(true);
      socket.setKeepAlive(true);
      // Resolved and checked here, at call time (DNS may have changed since registration), and the
      // checked address is the one connected to.
      socket.connect(
          new InetSocketAddress(allowed(endpoint), endpoint.port()), connectTimeoutMillis);
      // The TLS handshake is part of connecting: bounded by the connect timeout.
      socket.setSoTimeout(connectTimeoutMillis);
      Socket io = socket;
      if (endpoint.tls()) {
        SSLSocket ssl =
            (SSLSocket)
                ((SSLSocketFactory) SSLSocketFactory.getDefault())
                    .createSocket(socket, endpoint.host(), endpoint.port(), true);
        var params = ssl.getSSLParameters();
        params.setEndpointIdentificationAlgorithm("HTTPS");
        ssl.setSSLParameters(params);
        ssl.startHandshake();
        io = ssl;
      }
      socket.setSoTimeout(0); // reads and writes have deadlines instead (see expire)
      Connection c = new Connection(endpoint, channel, io);
      open.add(c);
      return c;
    } catch (IOException | RuntimeException e) {
      closeQuietly(channel);
      throw connectFailure(e);
    }
  }

  UpstreamFailure connectFailure(Exception e) {
    String why;
    if (find(e, ConnectException.class) != null) {
      why = "connection refused";
    } else if (find(e, SocketTimeoutException.class) != null) {
      return connectTimedOut();
    } else if (find(e, UnknownHostException.class) != null) {
      why = "unknown host";
    } else if (find(e, NoRouteToHostException.class) != null
        || find(e, PortUnreachableException.class) != null) {
      why = "unreachable";
    } else if (find(e, SSLException.class) != null) {
      why = "TLS handshake failed: " + describe(e);
    } else {
      why = "could not connect: " + describe(e);
    }
    return new UpstreamFailure(UpstreamFailure.Kind.NOT_SENT, why);
  }

  UpstreamFailure connectTimedOut() {
    return new UpstreamFailure(
        UpstreamFailure.Kind.NOT_SENT, "connect timed out after " + seconds(connectTimeout));
  }

  /** The worker closed or reset before it had the whole request: nothing can have started. */
  static UpstreamFailure lostWhileSending(IOException e) {
    return new UpstreamFailure(
        UpstreamFailure.Kind.NOT_SENT, "connection lost while sending: " + describe(e));
  }

  UpstreamFailure timedOut() {
    return new UpstreamFailure(
        UpstreamFailure.Kind.TIMEOUT, "no answer within " + seconds(timeout));
  }

  private static String seconds(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
  }

  static String describe(Throwable e) {
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

  static void closeQuietly(AutoCloseable c) {
    if (c != null) {
      try {
        c.close();
      } catch (Exception ignored) {
        // closing a broken connection
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    watchdog.shutdownNow();
    idle.values().forEach(IdleConnections::closeAll);
    idle.clear();
  }

  /** One kept-alive connection to a worker; used by one request at a time. */
  private final class Connection {
    private final Endpoint endpoint;
    private final SocketChannel channel;
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final byte[] buf = new byte[BUFFER];
    private int pos;
    private int lim;
    private long received;
    private long idleSince;

    /** When the read or write in progress times out ({@link System#nanoTime}), 0 when none. */
    private volatile long deadline;

    private volatile boolean timedOut;

    Connection(Endpoint endpoint, SocketChannel channel, Socket socket) throws IOException {
      this.endpoint = endpoint;
      this.channel = channel;
      this.socket = socket;
      this.in = socket.getInputStream();
      this.out = socket.getOutputStream();
    }

    /**
     * Whether the worker has not closed the connection while it sat in the pool: a read that cannot
     * block finds either nothing (open) or the end of the stream (closed).
     */
    boolean stillOpen() {
      if (!channel.isOpen() || pos < lim) {
        return false;
      }
      try {
        channel.configureBlocking(false);
        int n = channel.read(ByteBuffer.allocate(1));
        channel.configureBlocking(true);
        return n == 0;
      } catch (IOException | RuntimeException e) {
        return false;
      }
    }

    void expireIf(long now) {
      long d = deadline;
      if (d != 0 && now - d > 0) {
        timedOut = true;
        close();
      }
    }

    void write(byte[] head, byte[] body) throws IOException {
      received = 0;
      deadline = System.nanoTime() + timeoutNanos;
      try {
        if (head.length + body.length <= BUFFER) {
          byte[] all = new byte[head.length + body.length];
          System.arraycopy(head, 0, all, 0, head.length);
          System.arraycopy(body, 0, all, head.length, body.length);
          out.write(all);
        } else {
          out.write(head);
          out.write(body);
        }
        out.flush();
      } catch (IOException e) {
        throw timedOut ? new SocketTimeoutException("not sent within " + seconds(timeout)) : e;
      } finally {
        deadline = 0;
      }
    }

    int fill() throws IOException {
      if (pos < lim) {
        return lim - pos;
      }
      pos = 0;
      lim = 0;
      int n;
      deadline = System.nanoTime() + timeoutNanos;
      try {
        n = in.read(buf, 0, buf.length);
      } catch (IOException e) {
        throw timedOut ? new SocketTimeoutException("no answer within " + seconds(timeout)) : e;
      } finally {
        deadline = 0;
      }
      if (n > 0) {
        lim = n;
        received += n;
      }
      return n;
    }

    String line(int max) throws IOException {
      // Usually the whole line is in the buffer: one String straight from the bytes.
      for (int i = pos; i < lim && i - pos <= max; i++) {
        if (buf[i] == '\n') {
          int end = i > pos && buf[i - 1] == '\r' ? i - 1 : i;
          String line = new String(buf, pos, end - pos, StandardCharsets.ISO_8859_1);
          pos = i + 1;
          return line;
        }
      }
      StringBuilder s = new StringBuilder(64);
      while (true) {
        if (fill() < 0) {
          throw new EOFException("connection closed by the worker");
        }
        while (pos < lim) {
          byte b = buf[pos++];
          if (b == '\n') {
            int n = s.length();
            return n > 0 && s.charAt(n - 1) == '\r' ? s.substring(0, n - 1) : s.toString();
          }
          if (s.length() >= max) {
            throw new IOException("answer header line longer than " + max + " bytes");
          }
          s.append((char) (b & 0xff));
        }
      }
    }

    int read(byte[] b, int off, int len) throws IOException {
      if (pos >= lim && fill() < 0) {
        return -1;
      }
      int n = Math.min(len, lim - pos);
      System.arraycopy(buf, pos, b, off, n);
      pos += n;
      return n;
    }

    void close() {
      open.remove(this);
      closeQuietly(socket);
      closeQuietly(channel);
    }
  }

  /** An answer's body: fixed length, chunked, or until the worker closes. */
  private abstract static class Body extends InputStream {
    final Connection c;
    boolean done;

    Body(Connection c) {
      this.c = c;
    }

    boolean complete() {
      return done;
    }

    abstract boolean reusable();

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }
  }

  private static final class FixedBody extends Body {
    private long remaining;
    private final boolean keepAlive;

    FixedBody(Connection c, long length, boolean keepAlive) {
      super(c);
      this.remaining = length;
      this.keepAlive = keepAlive;
      this.done = length == 0;
    }

    @Override
    boolean reusable() {
      return keepAlive;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (remaining == 0) {
        done = true;
        return -1;
      }
      if (len == 0) {
        return 0;
      }
      int n = c.read(b, off, (int) Math.min(len, remaining));
      if (n < 0) {
        throw new EOFException("the worker closed the connection mid-answer");
      }
      remaining -= n;
      if (remaining == 0) {
        done = true;
      }
      return n;
    }
  }

  private static final class ChunkedBody extends Body {
    private long chunk; // bytes left in the current chunk; -1 before the first
    private final boolean keepAlive;

    ChunkedBody(Connection c, boolean keepAlive) {
      super(c);
      this.chunk = -1;
      this.keepAlive = keepAlive;
    }

    @Override
    boolean reusable() {
      return keepAlive;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (done) {
        return -1;
      }
      if (len == 0) {
        return 0;
      }
      if (chunk <= 0) {
        if (chunk == 0) {
          c.line(16); // CRLF after the previous chunk's data
        }
        String size = c.line(1024);
        int semi = size.indexOf(';');
        try {
          chunk = Long.parseLong((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
        } catch (NumberFormatException e) {
          throw new IOException("malformed chunk size from the worker: " + size);
        }
        if (chunk < 0) {
          throw new IOException("malformed chunk size from the worker: " + size);
        }
        if (chunk == 0) {
          while (!c.line(8192).isEmpty()) {
            // trailers: ignored
          }
          done = true;
          return -1;
        }
      }
      int n = c.read(b, off, (int) Math.min(len, chunk));
      if (n < 0) {
        throw new EOFException("the worker closed the connection mid-answer");
      }
      chunk -= n;
      return n;
    }
  }

  private static final class UntilCloseBody extends Body {
    UntilCloseBody(Connection c) {
      super(c);
    }

    @Override
    boolean reusable() {
      return false;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (done) {
        return -1;
      }
      int n = c.read(b, off, len);
      if (n < 0) {
        done = true;
      }
      return n;
    }
  }
}
