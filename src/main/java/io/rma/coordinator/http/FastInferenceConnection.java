package io.rma.coordinator.http;

import io.helidon.common.buffers.BufferData;
import io.helidon.common.buffers.DataReader;
import io.helidon.common.buffers.DataWriter;
import io.helidon.common.concurrency.limits.Limit;
import io.helidon.common.concurrency.limits.LimitAlgorithm;
import io.helidon.common.task.InterruptableTask;
import io.helidon.common.uri.UriQuery;
import io.helidon.http.DateTime;
import io.helidon.http.Status;
import io.helidon.webserver.CloseConnectionException;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.spi.ServerConnection;
import io.rma.coordinator.pool.StoreException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One HTTP/1.1 connection on the inference fast path ({@link FastInferencePath}). Each request's
 * head is read without consuming it; a request this path serves (an inference route, a plain
 * Content-Length body within the cap, nothing unusual in its head) is answered here, anything else
 * goes to Helidon's HTTP/1.1 connection, which then serves the rest of the connection. So the
 * answers to anything unusual (400, 404, 405, 413, 431, chunked or 100-continue bodies, upgrades)
 * stay Helidon's, and this path only ever sees well-formed requests it knows.
 */
final class FastInferenceConnection implements ServerConnection, InterruptableTask<Void> {
  private static final Logger LOG = System.getLogger(FastInferenceConnection.class.getName());

  /** Longest request head served here; longer ones go to Helidon (which has its own limits). */
  static final int MAX_HEAD = 8192;

  private static final byte[] EMPTY = new byte[0];

  /** "HTTP/1.1 200 OK\r\n" and the like, made once per status. */
  private static final String[] STATUS_LINES = new String[600];

  private final ConnectionContext ctx;
  private final FastInferencePath path;
  private final DataReader reader;
  private final DataWriter writer;
  private byte[] headBuffer = new byte[1024];

  /** This connection's share of the in-flight body budget (one request at a time). */
  private final BodyBudget.Hold hold;

  private volatile Thread thread;
  private volatile boolean canRun = true;
  private volatile boolean waiting;
  private volatile long idleSince = System.nanoTime();
  private volatile ServerConnection helidon;

  FastInferenceConnection(ConnectionContext ctx, FastInferencePath path) {
    this.ctx = ctx;
    this.path = path;
    this.reader = ctx.dataReader();
    this.writer = ctx.dataWriter();
    this.hold = path.budget().hold();
  }

  @Override
  public void handle(Limit limit) throws InterruptedException {
    thread = Thread.currentThread();
    while (canRun) {
      Head head;
      byte[] body;
      // Waiting for a request and reading it is idle time (as in Helidon's own connection): the
      // server's idle-connection sweep may close the connection, and its stop interrupts it.
      waiting = true;
      idleSince = System.nanoTime();
      try {
        head = readHead();
        if (head == null) {
          waiting = false;
          toHelidon(limit);
          return;
        }
        reader.skip(head.length());
        try {
          body = body((int) head.contentLength);
        } catch (ApiException e) {
          // No room in the in-flight budget: refused (the body was read to its end, not kept).
          waiting = false;
          hold.close();
          ErrorMapping.send(new FastExchange(head, head.close), e);
          if (head.close) {
            return;
          }
          continue;
        }
      } catch (DataReader.InsufficientDataAvailableException e) {
        hold.close();
        return; // the client closed the connection
      } catch (RuntimeException e) {
        hold.close(); // the connection failed mid-body (or the server stops): give the bytes back
        throw e;
      } finally {
        waiting = false;
      }
      try {
        if (!answer(limit, head, body)) {
          return;
        }
      } finally {
        hold.close();
      }
    }
  }

  /** Answers one request within the server's concurrency limit; false to close the connection. */
  private boolean answer(Limit limit, Head head, byte[] body) {
    LimitAlgorithm.Outcome outcome = limit.tryAcquireOutcome(true);
    if (outcome instanceof LimitAlgorithm.Outcome.Accepted accepted) {
      try {
        boolean open = serve(head, body);
        accepted.token().success();
        return open;
      } catch (RuntimeException e) {
        accepted.token().dropped();
        throw e;
      }
    }
    ErrorMapping.send(
        new FastExchange(head, head.close),
        503,
        Map.of(),
        Map.of("detail", "too many concurrent requests"),
        "overloaded");
    return !head.close;
  }

  /**
   * The request body. Its declared length is taken from the in-flight budget before any of it is
   * read, so an admitted body can always be completed and declared lengths cannot add up past the
   * budget. A large body is copied into its array as its bytes arrive (the reader does not gather
   * it whole first).
   *
   * @throws ApiException 503 when the budget has no room; the body has then been read and dropped,
   *     so the connection can take the next request
   */
  private byte[] body(int length) {
    if (length == 0) {
      return EMPTY;
    }
    try {
      hold.take(length);
    } catch (ApiException e) {
      drop(length);
      throw e;
    }
    if (length <= reader.available()) {
      return reader.readBytes(length); // came with the head (the usual case): no wait to watch
    }
    hold.startReading();
    try {
      if (length <= JsonBodies.EXACT_READ_BYTES) {
        return reader.readBytes(length);
      }
      byte[] body = new byte[length];
      int at = 0;
      while (at < length) {
        reader.ensureAvailable();
        int n = Math.min(reader.available(), length - at);
        System.arraycopy(reader.readBytes(n), 0, body, at, n);
        at += n;
        hold.progress();
      }
      return body;
    } finally {
      hold.doneReading();
    }
  }

  /** Reads and drops the next {@code length} bytes of the request. */
  private void drop(int length) {
    int remaining = length;
    while (remaining > 0) {
      reader.ensureAvailable();
      int n = Math.min(reader.available(), remaining);
      reader.skip(n);
      remaining -= n;
    }
  }

  /** Serves one request; false when the connection is to be closed after it. */
  private boolean serve(Head head, byte[] body) {
    FastExchange ex = new FastExchange(head, head.close);
    try {
      if (path.rate().enabled()) {
        path.rate().acquire(ex.client());
      }
      path.router().send(head.handler.call(body, ex), ex);
      if (!ex.committed) {
        throw new IllegalStateException("the " + head.path + " handler did not answer");
      }
    } catch (CloseConnectionException e) {
      LOG.log(Level.DEBUG, () -> "closing connection: " + e.getMessage());
      return false;
    } catch (ApiException e) {
      if (ex.committed) {
        return false;
      }
      ErrorMapping.send(ex, e);
    } catch (StoreException e) {
      LOG.log(Level.ERROR, "store failure on POST " + head.path + ": " + e.getMessage(), e);
      if (ex.committed) {
        return false;
      }
      ErrorMapping.storeFailure(ex, e);
    } catch (UncheckedIOException e) {
      return false; // the client's connection failed while we answered
    } catch (RuntimeException e) {
      LOG.log(Level.ERROR, "unexpected failure on " + head.path, e);
      if (ex.committed) {
        return false;
      }
      ErrorMapping.internalError(ex);
    }
    return !head.close;
  }

  private void toHelidon(Limit limit) throws InterruptedException {
    ServerConnection http1 = path.http1(ctx);
    helidon = http1;
    if (!canRun) {
      http1.close(false);
    }
    http1.handle(limit);
  }

  /**
   * The next request's head, parsed but not consumed; null when Helidon is to serve it (and the
   * rest of the connection).
   */
  private Head readHead() {
    reader.ensureAvailable();
    int searched = 0;
    while (true) {
      int available = Math.min(reader.available(), MAX_HEAD);
      if (headBuffer.length < available) {
        headBuffer = Arrays.copyOf(headBuffer, Math.max(available, headBuffer.length * 2));
      }
      BufferData view = reader.getBuffer(available);
      view.read(headBuffer, 0, available);
      for (int i = Math.max(3, searched); i < available; i++) {
        if (headBuffer[i] == '\n'
            && headBuffer[i - 1] == '\r'
            && headBuffer[i - 2] == '\n'
            && headBuffer[i - 3] == '\r') {
          return Head.parse(headBuffer, i + 1, path);
        }
      }
      if (available >= MAX_HEAD) {
        return null;
      }
      searched = Math.max(0, available - 3);
      reader.pullData();
    }
  }

  /**
   * An answer's status line and headers; {@code length} -1 for a chunked body, {@code close} to add
   * {@code Connection: close}. Both lean server paths answer with these.
   */
  static byte[] answerHead(
      int status, String contentType, Map<String, String> headers, long length, boolean close) {
    StringBuilder h = new StringBuilder(200);
    h.append(statusLine(status)).append("Date: ").append(DateTime.rfc1123String()).append("\r\n");
    if (contentType != null) {
      h.append("Content-Type: ").append(contentType).append("\r\n");
    }
    headers.forEach((name, value) -> h.append(name).append(": ").append(value).append("\r\n"));
    if (length >= 0) {
      h.append("Content-Length: ").append(length).append("\r\n");
    } else {
      h.append("Transfer-Encoding: chunked\r\n");
    }
    if (close) {
      h.append("Connection: close\r\n");
    }
    h.append("\r\n");
    return h.toString().getBytes(StandardCharsets.ISO_8859_1);
  }

  private static String statusLine(int status) {
    if (status < 100 || status >= STATUS_LINES.length) {
      return "HTTP/1.1 " + status + " " + Status.create(status).reasonPhrase() + "\r\n";
    }
    String line = STATUS_LINES[status];
    if (line == null) {
      line = "HTTP/1.1 " + status + " " + Status.create(status).reasonPhrase() + "\r\n";
      STATUS_LINES[status] = line; // a benign race: every thread makes the same string
    }
    return line;
  }

  @Override
  public Duration idleTime() {
    ServerConnection h = helidon;
    if (h != null) {
      return h.idleTime();
    }
    return Duration.ofNanos(System.nanoTime() - idleSince);
  }

  @Override
  public boolean canInterrupt() {
    ServerConnection h = helidon;
    if (h instanceof InterruptableTask<?> task) {
      return task.canInterrupt();
    }
    return waiting;
  }

  @Override
  public Void call() throws Exception {
    throw new UnsupportedOperationException("handled through handle(Limit)");
  }

  @Override
  public void close(boolean interrupt) {
    canRun = false;
    ServerConnection h = helidon;
    if (h != null) {
      h.close(interrupt);
      return;
    }
    Thread t = thread;
    if (t != null && (interrupt || waiting)) {
      t.interrupt();
    }
  }

  /** A request head this path serves: an inference route, and what the handler needs of it. */
  static final class Head {
    /** The head as sent (request line and header lines); other headers are looked up in it. */
    final byte[] bytes;

    final String path;
    final String rawQuery;
    final InferenceRouting.Handler handler;
    final long contentLength;
    final boolean close;

    Head(
        byte[] bytes,
        String path,
        String rawQuery,
        InferenceRouting.Handler handler,
        long contentLength,
        boolean close) {
      this.bytes = bytes;
      this.path = path;
      this.rawQuery = rawQuery;
      this.handler = handler;
      this.contentLength = contentLength;
      this.close = close;
    }

    int length() {
      return bytes.length;
    }

    /** Parses {@code b[0, length)}; null for anything the fast path leaves to Helidon. */
    static Head parse(byte[] b, int length, FastInferencePath fast) {
      int lineEnd = indexOf(b, 0, length, (byte) '\r');
      int sp1 = indexOf(b, 0, lineEnd, (byte) ' ');
      int sp2 = sp1 < 0 ? -1 : indexOf(b, sp1 + 1, lineEnd, (byte) ' ');
      if (sp2 < 0 || !is(b, sp2 + 1, lineEnd, "HTTP/1.1")) {
        return null;
      }
      boolean post;
      if (is(b, 0, sp1, "POST")) {
        post = true;
      } else if (is(b, 0, sp1, "GET")) {
        post = false;
      } else {
        return null;
      }
      int q = indexOf(b, sp1 + 1, sp2, (byte) '?');
      String path = ascii(b, sp1 + 1, q < 0 ? sp2 : q);
      InferenceRouting.Handler handler = fast.handler(post, path);
      if (handler == null) {
        return null;
      }
      long contentLength = -1;
      boolean close = false;
      boolean host = false;
      for (int pos = lineEnd + 2; pos < length - 2; ) {
        int end = indexOf(b, pos, length, (byte) '\r');
        if (end < 0 || b[end + 1] != '\n') {
          return null;
        }
        int colon = indexOf(b, pos, end, (byte) ':');
        if (colon <= pos || !token(b, pos, colon) || !fieldValue(b, colon + 1, end)) {
          return null; // folded, malformed or unusual: Helidon's answer
        }
        if (nameIs(b, pos, colon, "content-length")) {
          long n = digits(b, colon + 1, end);
          if (n < 0 || (contentLength >= 0 && n != contentLength)) {
            return null;
          }
          contentLength = n;
        } else if (nameIs(b, pos, colon, "host")) {
          if (host) {
            return null;
          }
          host = true;
        } else if (nameIs(b, pos, colon, "connection")) {
          close |= hasToken(ascii(b, colon + 1, end), "close");
        } else if (nameIs(b, pos, colon, "transfer-encoding")
            || nameIs(b, pos, colon, "expect")
            || nameIs(b, pos, colon, "upgrade")) {
          return null;
        }
        pos = end + 2;
      }
      if (!host || contentLength > fast.maxBodyBytes() || (!post && contentLength > 0)) {
        return null;
      }
      return new Head(
          Arrays.copyOf(b, length),
          path,
          q < 0 ? null : ascii(b, q + 1, sp2),
          handler,
          Math.max(0, contentLength),
          close);
    }

    /** The first value of header {@code name}. */
    Optional<String> header(String name) {
      return values(name, true).stream().findFirst();
    }

    /** Decoded query parameters, in the order sent. */
    Map<String, List<String>> query() {
      if (rawQuery == null || rawQuery.isEmpty()) {
        return Map.of();
      }
      UriQuery query = UriQuery.create(rawQuery);
      return query.isEmpty() ? Map.of() : query.toMap();
    }

    /** The values of header {@code name}, in the order sent. */
    List<String> values(String name, boolean first) {
      List<String> values = new ArrayList<>(1);
      int length = bytes.length;
      int pos = indexOf(bytes, 0, length, (byte) '\n') + 1;
      while (pos < length - 2) {
        int end = indexOf(bytes, pos, length, (byte) '\r');
        int colon = indexOf(bytes, pos, end, (byte) ':');
        if (nameIs(bytes, pos, colon, name)) {
          values.add(ascii(bytes, colon + 1, end).strip());
          if (first) {
            break;
          }
        }
        pos = end + 2;
      }
      return values;
    }

    /** Whether {@code b[from, to)} is {@code name}, ignoring ASCII case. */
    static boolean nameIs(byte[] b, int from, int to, String name) {
      if (to - from != name.length()) {
        return false;
      }
      for (int i = 0; i < name.length(); i++) {
        int c = b[from + i];
        if (c >= 'A' && c <= 'Z') {
          c += 'a' - 'A';
        }
        if (c != Character.toLowerCase(name.charAt(i))) {
          return false;
        }
      }
      return true;
    }

    private static boolean is(byte[] b, int from, int to, String s) {
      if (to - from != s.length()) {
        return false;
      }
      for (int i = 0; i < s.length(); i++) {
        if (b[from + i] != s.charAt(i)) {
          return false;
        }
      }
      return true;
    }

    private static boolean hasToken(String value, String token) {
      for (String part : value.split(",")) {
        if (part.strip().equalsIgnoreCase(token)) {
          return true;
        }
      }
      return false;
    }

    /** The decimal number in {@code b[from, to)} (blanks around it allowed), or -1. */
    private static long digits(byte[] b, int from, int to) {
      while (from < to && (b[from] == ' ' || b[from] == '\t')) {
        from++;
      }
      while (to > from && (b[to - 1] == ' ' || b[to - 1] == '\t')) {
        to--;
      }
      if (from == to || to - from > 18) {
        return -1;
      }
      long n = 0;
      for (int i = from; i < to; i++) {
        byte c = b[i];
        if (c < '0' || c > '9') {
          return -1;
        }
        n = n * 10 + (c - '0');
      }
      return n;
    }

    private static boolean token(byte[] b, int from, int to) {
      for (int i = from; i < to; i++) {
        byte c = b[i];
        boolean ok =
            (c >= 'a' && c <= 'z')
                || (c >= 'A' && c <= 'Z')
                || (c >= '0' && c <= '9')
                || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
        if (!ok) {
          return false;
        }
      }
      return true;
    }

    /** Visible ASCII, space and tab only (no other controls, no bytes past ASCII). */
    private static boolean fieldValue(byte[] b, int from, int to) {
      for (int i = from; i < to; i++) {
        byte c = b[i];
        if ((c < 0x20 && c != '\t') || c >= 0x7f) {
          return false;
        }
      }
      return true;
    }

    static int indexOf(byte[] b, int from, int to, byte c) {
      for (int i = from; i < to; i++) {
        if (b[i] == c) {
          return i;
        }
      }
      return -1;
    }

    private static String ascii(byte[] b, int from, int to) {
      return new String(b, from, to - from, StandardCharsets.ISO_8859_1);
    }
  }

  /** The request side of an exchange, read from a parsed head (both lean server paths). */
  abstract static class OnHead implements Exchange {
    /** The head of the request being answered. */
    abstract Head head();

    @Override
    public String path() {
      return head().path;
    }

    @Override
    public Optional<String> header(String name) {
      return head().header(name);
    }

    @Override
    public List<String> headers(String name) {
      return head().values(name, false);
    }

    @Override
    public Map<String, List<String>> query() {
      return head().query();
    }
  }

  /** The answer side: status line and headers written here, bodies sized or chunked. */
  private final class FastExchange extends OnHead {
    private final Head head;
    private final boolean close;
    boolean committed;

    /**
     * @param close answer with {@code Connection: close} (the connection ends after this answer)
     */
    FastExchange(Head head, boolean close) {
      this.head = head;
      this.close = close;
    }

    @Override
    Head head() {
      return head;
    }

    @Override
    public String client() {
      return HelidonExchange.client(ctx);
    }

    @Override
    public void send(int status, String contentType, Map<String, String> headers, byte[] body) {
      byte[] head = head(status, contentType, headers, body.length);
      byte[] all = Arrays.copyOf(head, head.length + body.length);
      System.arraycopy(body, 0, all, head.length, body.length);
      writer.writeNow(BufferData.create(all));
    }

    @Override
    public OutputStream stream(int status, String contentType, Map<String, String> headers) {
      writer.writeNow(BufferData.create(head(status, contentType, headers, -1)));
      return new Chunked();
    }

    @Override
    public OutputStream fixed(
        int status, String contentType, Map<String, String> headers, long length) {
      writer.writeNow(BufferData.create(head(status, contentType, headers, length)));
      return new OutputStream() {
        @Override
        public void write(int b) {
          write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) {
          if (len > 0) {
            writer.writeNow(BufferData.create(Arrays.copyOfRange(b, off, off + len)));
          }
        }
      };
    }

    /** The status line and headers; {@code length} -1 for a chunked body. */
    private byte[] head(int status, String contentType, Map<String, String> headers, long length) {
      if (committed) {
        throw new IllegalStateException("answered already");
      }
      committed = true;
      return answerHead(status, contentType, headers, length, close);
    }

    /** Chunked transfer coding: each write is sent as one chunk at once. */
    private final class Chunked extends OutputStream {
      private boolean closed;

      @Override
      public void write(int b) {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) {
        if (len == 0) {
          return;
        }
        byte[] size = (Integer.toHexString(len) + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
        byte[] chunk = Arrays.copyOf(size, size.length + len + 2);
        System.arraycopy(b, off, chunk, size.length, len);
        chunk[chunk.length - 2] = '\r';
        chunk[chunk.length - 1] = '\n';
        writer.writeNow(BufferData.create(chunk));
      }

      @Override
      public void close() {
        if (!closed) {
          closed = true;
          writer.writeNow(BufferData.create("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1)));
        }
      }
    }
  }
}
