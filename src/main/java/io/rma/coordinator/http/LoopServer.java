package io.rma.coordinator.http;

import io.rma.coordinator.http.UpstreamClient.Endpoint;
import io.rma.coordinator.pool.StoreException;
import io.rma.coordinator.pool.WorkerView;
import io.rma.coordinator.routing.InFlight;
import io.rma.coordinator.routing.RoutingSettings;
import io.rma.coordinator.routing.UpstreamFailure;
import io.rma.coordinator.routing.UpstreamFailure.Kind;
import io.rma.coordinator.routing.WorkerEndpoint;
import io.rma.coordinator.routing.WorkerSelectionPolicy;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * The inference routes on event loops: the coordinator's port is served by a few selector threads
 * that do all the work of a plain inference request themselves (read it, choose a worker, call it
 * over a kept-alive connection, pass the answer back, fail over), with no thread per connection or
 * per request. Everything else (any other route, streaming, large or chunked request bodies,
 * workers behind https or a host name, pull workers, a standby replica) is relayed, bytes as they
 * are, to Helidon on an internal loopback listener, with a PROXY protocol header so that Helidon
 * sees the client's address; Helidon then serves the rest of that connection.
 *
 * <p>Why: a virtual thread that waits on a socket costs a read that finds nothing, a re-arming of
 * its epoll registration and a wake-up per wait; a selector loop keeps sockets registered and reads
 * only what is there. On a 2-core machine that is the difference between passing on about 43 % and
 * about 50 % of what the worker could serve directly (docs/routing.md, "Event loops").
 *
 * <p>Everything here runs on the loop thread that owns the connection; the shared routing state
 * (pool views, selection, in-flight counts, ejection, limits, metrics) is the same the other paths
 * use, and is thread-safe.
 */
public final class LoopServer implements AutoCloseable {
  private static final Logger LOG = System.getLogger(LoopServer.class.getName());

  /** Request bodies up to this are served on a loop; larger ones are relayed to Helidon. */
  static final int LOOP_BODY = 64 * 1024;

  /** The most a client's buffer holds: a head the loops serve, its body, and a little more. */
  private static final int MAX_REQUEST = FastInferenceConnection.MAX_HEAD + LOOP_BODY + 4096;

  private static final int BUFFER = 16 * 1024;
  private static final int MAX_ANSWER_HEAD = 64 * 1024;
  private static final long SWEEP_NANOS = Duration.ofMillis(20).toNanos();

  /** Matches Helidon's idle-connection timeout: a kept-alive client silent this long is closed. */
  private static final long CLIENT_IDLE_NANOS = Duration.ofMinutes(5).toNanos();

  private static final Pattern IPV4 = Pattern.compile("[0-9]{1,3}(\\.[0-9]{1,3}){3}");

  /** What a selection key is attached to. */
  private interface Handler {
    void ready(SelectionKey key) throws IOException;

    /** Called now and then: close or fail what is past its deadline. */
    void expire(long now);

    /** The loop stops: close without answering. */
    void shutdown();
  }

  private final ServerSocketChannel server;
  private final Loop[] loops;
  private final Thread acceptor;
  private final FastInferencePath routes;
  private final Router router;
  private final UpstreamClient upstream;
  private final RoutingSettings settings;
  private final InetSocketAddress helidon;
  private final long bodyTimeoutNanos;
  private final long connectTimeoutNanos;
  private final long upstreamTimeoutNanos;

  /** Below uvicorn's 5 s keep-alive, as in {@link UpstreamClient}. */
  private final long upstreamIdleNanos = UpstreamClient.MAX_IDLE.toNanos();

  private volatile boolean running = true;
  private volatile boolean draining;

  /** Requests being served on the loops (read whole, not yet answered whole). */
  private final AtomicInteger active = new AtomicInteger();

  private LoopServer(
      ServerSocketChannel server, int loopCount, FastInferencePath routes, int helidonPort)
      throws IOException {
    this.server = server;
    this.routes = routes;
    this.router = routes.router();
    this.upstream = router.upstream();
    this.settings = router.settings();
    this.helidon = new InetSocketAddress(InetAddress.getLoopbackAddress(), helidonPort);
    this.bodyTimeoutNanos = settings.bodyTimeout().toNanos();
    this.connectTimeoutNanos = settings.connectTimeout().toNanos();
    this.upstreamTimeoutNanos = settings.upstreamTimeout().toNanos();
    this.loops = new Loop[loopCount];
    for (int i = 0; i < loopCount; i++) {
      loops[i] = new Loop(i);
    }
    this.acceptor = Thread.ofPlatform().name("rma-loop-accept").daemon().unstarted(this::accept);
  }

  /**
   * Listens on {@code port} (0: any free port) and serves it with {@code loopCount} loop threads;
   * what they do not serve goes to Helidon's internal listener on {@code helidonPort}, which must
   * accept the PROXY protocol.
   */
  public static LoopServer start(int port, int loopCount, FastInferencePath routes, int helidonPort)
      throws IOException {
    ServerSocketChannel server = ServerSocketChannel.open();
    try {
      server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
      server.bind(new InetSocketAddress(port), 1024);
      LoopServer s = new LoopServer(server, loopCount, routes, helidonPort);
      for (Loop l : s.loops) {
        l.thread.start();
      }
      s.acceptor.start();
      LOG.log(
          Level.INFO,
          "inference event loops: "
              + loopCount
              + " on port "
              + s.port()
              + "; other requests relayed to 127.0.0.1:"
              + helidonPort);
      return s;
    } catch (IOException | RuntimeException e) {
      server.close();
      throw e;
    }
  }

  /** The port clients connect to. */
  public int port() {
    try {
      return ((InetSocketAddress) server.getLocalAddress()).getPort();
    } catch (IOException e) {
      return -1;
    }
  }

  /**
   * Stops taking connections and waits, up to {@code timeout}, for the requests being served on the
   * loops to be answered; kept-alive connections are closed once idle. Relayed connections go on
   * (Helidon's own stop ends them), so this comes before stopping Helidon, and {@link #close}
   * after.
   */
  public void drain(Duration timeout) {
    draining = true;
    try {
      server.close();
    } catch (IOException e) {
      LOG.log(Level.DEBUG, "closing the listener: " + e);
    }
    long end = System.nanoTime() + timeout.toNanos();
    while (active.get() > 0 && System.nanoTime() - end < 0) {
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    if (active.get() > 0) {
      LOG.log(Level.WARNING, active.get() + " inference requests still open at shutdown; cut off");
    }
  }

  @Override
  public void close() {
    running = false;
    draining = true;
    try {
      server.close();
    } catch (IOException e) {
      LOG.log(Level.DEBUG, "closing the listener: " + e);
    }
    for (Loop l : loops) {
      l.selector.wakeup();
    }
    for (Loop l : loops) {
      try {
        l.thread.join(Duration.ofSeconds(5));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private void accept() {
    int next = 0;
    while (running) {
      SocketChannel c;
      try {
        c = server.accept();
      } catch (ClosedChannelException e) {
        return;
      } catch (IOException e) {
        if (!running) {
          return;
        }
        LOG.log(Level.WARNING, "accept failed: " + e);
        continue;
      }
      try {
        c.configureBlocking(false);
        c.setOption(StandardSocketOptions.TCP_NODELAY, true);
      } catch (IOException e) {
        UpstreamClient.closeQuietly(c);
        continue;
      }
      Loop loop = null;
      for (int i = 0; i < loops.length && loop == null; i++) {
        Loop l = loops[(next + i) % loops.length];
        if (!l.dead) {
          loop = l;
        }
      }
      if (loop == null) {
        LOG.log(Level.ERROR, "no event loop left to serve connections; closing one");
        UpstreamClient.closeQuietly(c);
        continue;
      }
      loop.adopt(c);
      next = (next + 1) % loops.length;
    }
  }

  /** One selector thread and the connections it owns. */
  private final class Loop {
    final Selector selector;
    final Thread thread;
    final ConcurrentLinkedQueue<SocketChannel> adopted = new ConcurrentLinkedQueue<>();
    final Set<Handler> timed = new HashSet<>();
    final Map<Endpoint, ArrayDeque<Upstream>> idle = new HashMap<>();
    final IdentityHashMap<WorkerSelectionPolicy.Candidates, Map<WorkerView, Endpoint>> endpoints =
        new IdentityHashMap<>();
    final ArrayList<Client> clientEvents = new ArrayList<>();

    /** Clients whose next (pipelined) request is already buffered, served after a selectNow. */
    ArrayList<Client> pending = new ArrayList<>();

    long lastSweep = System.nanoTime();

    /** Ended (stopped, or failed): the acceptor gives it no more connections. */
    volatile boolean dead;

    Loop(int index) throws IOException {
      this.selector = Selector.open();
      this.thread = Thread.ofPlatform().name("rma-loop-" + index).daemon().unstarted(this::run);
    }

    void adopt(SocketChannel c) {
      adopted.add(c);
      selector.wakeup();
    }

    void run() {
      try {
        while (running) {
          selector.select(this::event, 50);
          clients();
          while (!pending.isEmpty()) {
            // Clients with a pipelined request to go on with: first whatever workers sent
            // meanwhile (a close after an answer is then seen before a connection is reused).
            selector.selectNow(this::event);
            clients();
            ArrayList<Client> now = pending;
            pending = new ArrayList<>();
            for (Client client : now) {
              call(client, null);
            }
          }
          SocketChannel c;
          while ((c = adopted.poll()) != null) {
            try {
              new Client(this, c);
            } catch (IOException | RuntimeException e) {
              LOG.log(Level.DEBUG, () -> "could not take a connection: " + e);
              UpstreamClient.closeQuietly(c);
            }
          }
          long now = System.nanoTime();
          if (now - lastSweep >= SWEEP_NANOS) {
            lastSweep = now;
            for (Handler h : new ArrayList<>(timed)) {
              try {
                h.expire(now);
              } catch (RuntimeException e) {
                LOG.log(Level.ERROR, "closing a connection after an unexpected failure", e);
                h.shutdown();
              }
            }
          }
        }
      } catch (IOException | RuntimeException | Error e) {
        if (running) {
          LOG.log(
              Level.ERROR, "event loop " + thread.getName() + " failed; its connections closed", e);
        }
      } finally {
        dead = true;
        SocketChannel c;
        while ((c = adopted.poll()) != null) {
          UpstreamClient.closeQuietly(c);
        }
        for (SelectionKey k : new ArrayList<>(selector.keys())) {
          if (k.attachment() instanceof Handler h) {
            h.shutdown();
          }
          UpstreamClient.closeQuietly(k.channel());
        }
        UpstreamClient.closeQuietly(selector);
      }
    }

    /**
     * A selected key: a worker's connection (or a relay) is handled at once, a client's after all
     * of those of the same batch, so that what workers sent (answers, closes) is seen before
     * clients' requests take pooled connections.
     */
    private void event(SelectionKey key) {
      if (key.attachment() instanceof Client c) {
        clientEvents.add(c);
      } else {
        call((Handler) key.attachment(), key);
      }
    }

    private void clients() {
      for (int i = 0; i < clientEvents.size(); i++) {
        Client c = clientEvents.get(i);
        call(c, c.key);
      }
      clientEvents.clear();
    }

    /** A handler's turn: {@code key} ready, or (null) a client's pipelined request to serve. */
    private void call(Handler h, SelectionKey key) {
      try {
        if (key == null) {
          ((Client) h).resume();
        } else if (key.isValid() && key.attachment() == h) {
          h.ready(key);
        }
      } catch (IOException e) {
        LOG.log(Level.DEBUG, () -> "connection failed: " + e);
        h.shutdown();
      } catch (RuntimeException | StackOverflowError e) {
        LOG.log(Level.ERROR, "closing a connection after an unexpected failure", e);
        h.shutdown();
      }
    }

    /**
     * Each candidate's endpoint, worked out once per candidate list (as the selection policy keeps
     * the list while the pool is unchanged); null when one of them cannot be called from a loop
     * (https, a host name, an invalid URL): Helidon's path then serves the request.
     */
    Map<WorkerView, Endpoint> endpoints(
        WorkerSelectionPolicy.Candidates candidates, Router.Call call) {
      Map<WorkerView, Endpoint> known = endpoints.get(candidates);
      if (known != null || endpoints.containsKey(candidates)) {
        return known;
      }
      Map<WorkerView, Endpoint> all = new IdentityHashMap<>();
      for (List<WorkerView> group : candidates.groups()) {
        for (WorkerView w : group) {
          try {
            Endpoint e =
                upstream.endpoint(WorkerEndpoint.base(w.worker().getSpec(), call.service()));
            if (e.tls() || !ipLiteral(e.host())) {
              all = null;
              break;
            }
            all.put(w, e);
          } catch (UpstreamFailure f) {
            all = null;
            break;
          }
        }
        if (all == null) {
          break;
        }
      }
      if (endpoints.size() > 256) {
        endpoints.clear();
      }
      endpoints.put(candidates, all);
      return all;
    }

    Upstream pooled(Endpoint endpoint) {
      ArrayDeque<Upstream> q = idle.get(endpoint);
      if (q == null) {
        return null;
      }
      long now = System.nanoTime();
      Upstream u;
      while ((u = q.pollLast()) != null) {
        if (now - u.idleSince < upstreamIdleNanos && u.channel.isOpen()) {
          return u;
        }
        u.close();
      }
      return null;
    }

    void release(Upstream u) {
      ArrayDeque<Upstream> q = idle.computeIfAbsent(u.endpoint, e -> new ArrayDeque<>());
      if (!running || q.size() >= UpstreamClient.MAX_IDLE_PER_ENDPOINT) {
        u.close();
        return;
      }
      u.idleSince = System.nanoTime();
      q.addLast(u);
    }

    /** A new connection to a worker (its connect completes on this loop). */
    Upstream connect(Endpoint endpoint, InetSocketAddress address) throws UpstreamFailure {
      SocketChannel ch = null;
      try {
        ch = SocketChannel.open();
        ch.configureBlocking(false);
        ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
        ch.setOption(StandardSocketOptions.SO_KEEPALIVE, true);
        boolean now = ch.connect(address);
        Upstream u = new Upstream(this, endpoint, ch, !now);
        u.deadline = System.nanoTime() + connectTimeoutNanos;
        timed.add(u);
        return u;
      } catch (IOException | RuntimeException e) {
        UpstreamClient.closeQuietly(ch);
        throw upstream.connectFailure(e);
      }
    }
  }

  /** A client's connection: reads requests, serves plain inference ones, relays the rest. */
  private final class Client extends FastInferenceConnection.OnHead implements Handler {
    final Loop loop;
    final SocketChannel channel;
    final SelectionKey key;
    final String address;
    final BodyBudget.Hold hold;
    ByteBuffer in = ByteBuffer.allocate(2048);
    int searched;

    /** What is written but not yet taken by the client's socket, oldest first; null when none. */
    ArrayDeque<ByteBuffer> out;

    long deadline;

    /** The request being served, and its state. */
    FastInferenceConnection.Head head;

    int requestLength;
    boolean committed;
    Forward forward;
    boolean answered;
    boolean closed;

    Client(Loop loop, SocketChannel channel) throws IOException {
      this.loop = loop;
      this.channel = channel;
      InetSocketAddress peer = (InetSocketAddress) channel.getRemoteAddress();
      this.address =
          peer.getAddress() != null ? peer.getAddress().getHostAddress() : peer.getHostString();
      this.hold = routes.budget().hold();
      this.key = channel.register(loop.selector, SelectionKey.OP_READ, this);
      this.deadline = System.nanoTime() + CLIENT_IDLE_NANOS;
      loop.timed.add(this);
    }

    @Override
    public void ready(SelectionKey k) throws IOException {
      if (k.isWritable()) {
        flush();
        if (closed || k.attachment() != this) {
          return; // closed, or the next request was relayed: the connection is the relay's now
        }
      }
      if (k.isValid() && k.isReadable()) {
        read();
      }
    }

    private void read() throws IOException {
      if (!in.hasRemaining()) {
        if (head == null && in.capacity() < MAX_REQUEST) {
          in = grow(in, Math.min(in.capacity() * 2, MAX_REQUEST));
        } else {
          key.interestOps(key.interestOps() & ~SelectionKey.OP_READ); // busy; read it later
          return;
        }
      }
      int n = channel.read(in);
      if (n < 0) {
        if (forward != null) {
          forward.cancel();
        }
        close();
        return;
      }
      if (n > 0 && head == null) {
        next();
      }
    }

    /** Serves the next request if a whole one is buffered. */
    private void next() throws IOException {
      byte[] b = in.array();
      int len = in.position();
      int end = -1;
      for (int i = Math.max(3, searched); i < len; i++) {
        if (b[i] == '\n' && b[i - 1] == '\r' && b[i - 2] == '\n' && b[i - 3] == '\r') {
          end = i + 1;
          break;
        }
      }
      long now = System.nanoTime();
      if (end < 0) {
        if (len >= FastInferenceConnection.MAX_HEAD) {
          relay();
          return;
        }
        searched = Math.max(0, len - 3);
        deadline = now + (len == 0 ? CLIENT_IDLE_NANOS : bodyTimeoutNanos);
        ensureRead();
        return;
      }
      FastInferenceConnection.Head h = FastInferenceConnection.Head.parse(b, end, routes);
      if (h == null || h.contentLength > LOOP_BODY) {
        relay();
        return;
      }
      int total = end + (int) h.contentLength;
      if (len < total) {
        if (in.capacity() < total) {
          in = grow(in, total);
        }
        deadline = now + bodyTimeoutNanos;
        ensureRead();
        return;
      }
      serve(h, end, total);
    }

    private void serve(FastInferenceConnection.Head h, int headEnd, int total) throws IOException {
      try {
        hold.take(h.contentLength);
      } catch (ApiException e) {
        hold.close();
        relay(); // Helidon's path refuses it the usual way (503, the body read and dropped)
        return;
      }
      head = h;
      active.incrementAndGet();
      requestLength = total;
      committed = false;
      answered = false;
      deadline = 0;
      byte[] body = Arrays.copyOfRange(in.array(), headEnd, total);
      Router.Call call;
      try {
        call = h.handler.call(body, this);
      } catch (ApiException e) {
        if (!limited()) {
          error(e);
        }
        return;
      } catch (StoreException e) {
        LOG.log(Level.ERROR, "store failure on " + h.path + ": " + e.getMessage(), e);
        consume();
        ErrorMapping.storeFailure(this, e);
        done();
        return;
      } catch (RuntimeException e) {
        LOG.log(Level.ERROR, "unexpected failure on " + h.path, e);
        consume();
        if (!committed) {
          ErrorMapping.internalError(this);
        }
        done();
        return;
      }
      if (call != null) {
        route(call);
      } else if (committed) {
        consume();
        done();
      } else {
        throw new IllegalStateException("the " + h.path + " handler did not answer");
      }
    }

    /** A routed call: relayed when a loop cannot carry it, else sent to a worker from here. */
    private void route(Router.Call call) throws IOException {
      if (call.stream()) {
        relay();
        return;
      }
      WorkerSelectionPolicy.Candidates candidates = router.candidates(call);
      if (candidates.isEmpty()) {
        if (!candidates.pullWorkers().isEmpty()) {
          relay(); // queued for a pull worker on Helidon's path
          return;
        }
        if (!limited()) {
          error(router.noWorker(call, candidates));
        }
        return; // (limited() answered 429 if it refused)
      }
      Map<WorkerView, Endpoint> endpoints = loop.endpoints(candidates, call);
      if (endpoints == null) {
        relay();
        return;
      }
      if (limited()) {
        return;
      }
      consume();
      forward = new Forward(this, call, candidates, endpoints);
      forward.attempt();
    }

    /** Applies the per-client inference limit; true when it refused (and answered 429). */
    private boolean limited() {
      if (!routes.rate().enabled()) {
        return false;
      }
      try {
        routes.rate().acquire(address);
        return false;
      } catch (ApiException e) {
        error(e);
        return true;
      }
    }

    /** Answers the request with an error. */
    void error(ApiException e) {
      consume();
      if (committed) {
        close(); // an answer was begun: the client sees it cut off
        return;
      }
      ErrorMapping.send(this, e);
      done();
    }

    /** Takes the request's bytes out of the buffer (a pipelined next request stays). */
    private void consume() {
      if (requestLength > 0) {
        int len = in.position();
        System.arraycopy(in.array(), requestLength, in.array(), 0, len - requestLength);
        in.position(len - requestLength);
        requestLength = 0;
        searched = 0;
      }
    }

    /** The request has been answered (its bytes may still be on their way out). */
    void done() {
      answered = true;
      forward = null;
      if (out == null) {
        finish();
      }
    }

    private void finish() {
      hold.close();
      boolean close = head == null || head.close || draining;
      endRequest();
      answered = false;
      if (close) {
        close();
        return;
      }
      ensureRead();
      if (in.position() > 0) {
        // A pipelined request: served by the loop next (not from here, which may be deep in the
        // previous one's answer: a client may pipeline thousands answered at once).
        loop.pending.add(this);
      }
    }

    /** Serves a pipelined request (the loop's turn for it). */
    void resume() throws IOException {
      if (!closed && head == null && key.attachment() == this) {
        next();
      }
    }

    private void ensureRead() {
      if (key.isValid() && (key.interestOps() & SelectionKey.OP_READ) == 0) {
        key.interestOps(key.interestOps() | SelectionKey.OP_READ);
      }
    }

    /** Writes what it can now; the rest goes when the socket takes it. */
    void write(ByteBuffer b) {
      if (closed) {
        return;
      }
      if (out != null) {
        out.addLast(b);
        return;
      }
      try {
        channel.write(b);
      } catch (IOException e) {
        clientLeft();
        return;
      }
      if (b.hasRemaining()) {
        out = new ArrayDeque<>(4);
        out.add(b);
        key.interestOps(key.interestOps() | SelectionKey.OP_WRITE);
      }
    }

    /** Whether the client has taken everything written so far. */
    boolean drained() {
      return out == null;
    }

    private void flush() {
      try {
        while (!out.isEmpty()) {
          ByteBuffer b = out.peekFirst();
          channel.write(b);
          if (b.hasRemaining()) {
            return; // the socket is full again
          }
          out.pollFirst();
        }
      } catch (IOException e) {
        clientLeft();
        return;
      }
      out = null;
      key.interestOps(key.interestOps() & ~SelectionKey.OP_WRITE);
      if (forward != null) {
        forward.clientDrained();
      } else if (answered) {
        finish();
      }
    }

    private void clientLeft() {
      if (forward != null) {
        forward.cancel();
      }
      close();
    }

    /** Hands this connection, from the current request on, to Helidon. */
    private void relay() {
      hold.close();
      loop.timed.remove(this);
      endRequest();
      new Relay(loop, this);
    }

    private void endRequest() {
      if (head != null) {
        head = null;
        active.decrementAndGet();
      }
    }

    void close() {
      if (closed) {
        return;
      }
      closed = true;
      loop.timed.remove(this);
      hold.close();
      endRequest();
      key.cancel();
      UpstreamClient.closeQuietly(channel);
    }

    @Override
    public void expire(long now) {
      if (draining && head == null && out == null) {
        close(); // idle between requests while the server stops
        return;
      }
      if (deadline != 0 && now - deadline > 0 && forward == null) {
        LOG.log(Level.DEBUG, () -> "closing a client connection idle or stalled mid-request");
        close();
      }
    }

    @Override
    public void shutdown() {
      if (forward != null) {
        forward.cancel();
      }
      close();
    }

    // Exchange, for the handlers and error mapping.

    @Override
    FastInferenceConnection.Head head() {
      return head;
    }

    @Override
    public String client() {
      return address;
    }

    @Override
    public void send(int status, String contentType, Map<String, String> headers, byte[] body) {
      byte[] h = answerHead(status, contentType, headers, body.length);
      ByteBuffer all = ByteBuffer.allocate(h.length + body.length);
      all.put(h).put(body).flip();
      write(all);
    }

    /** Starts an answer whose body the caller writes next ({@code length} -1: chunked). */
    void start(int status, String contentType, long length) {
      write(ByteBuffer.wrap(answerHead(status, contentType, Map.of(), length)));
    }

    private byte[] answerHead(
        int status, String contentType, Map<String, String> headers, long length) {
      if (committed) {
        throw new IllegalStateException("answered already");
      }
      committed = true;
      return FastInferenceConnection.answerHead(status, contentType, headers, length, head.close);
    }

    @Override
    public OutputStream stream(int status, String contentType, Map<String, String> headers) {
      throw new UnsupportedOperationException("streamed answers are relayed to Helidon's path");
    }

    @Override
    public OutputStream fixed(
        int status, String contentType, Map<String, String> headers, long length) {
      throw new UnsupportedOperationException("the loop passes large answers on itself");
    }
  }

  /** One routed request: attempts on workers until one answers or none may be tried. */
  private final class Forward {
    final Client client;
    final Router.Call call;
    final WorkerSelectionPolicy.Candidates candidates;
    final Map<WorkerView, Endpoint> endpoints;
    final Map<String, String> tried = new LinkedHashMap<>();
    UpstreamFailure last;
    int attempts;
    WorkerView worker;
    InFlight.Lease lease;
    Upstream up;

    /** The answer being read. */
    int status;

    String contentType;
    long length;
    boolean chunked;
    boolean untilClose;
    boolean keepAlive;
    boolean declined;
    boolean passing;

    /** Body bytes of the answer so far (decoded). */
    long bodyBytes;

    ChunkedDecoder decoder;
    ByteBuffer whole;

    Forward(
        Client client,
        Router.Call call,
        WorkerSelectionPolicy.Candidates candidates,
        Map<WorkerView, Endpoint> endpoints) {
      this.client = client;
      this.call = call;
      this.candidates = candidates;
      this.endpoints = endpoints;
    }

    void attempt() {
      while (true) {
        if (attempts >= settings.attempts()) {
          giveUp();
          return;
        }
        Optional<WorkerView> next = router.choose(candidates, tried.keySet());
        if (next.isEmpty()) {
          giveUp();
          return;
        }
        if (attempts > 0) {
          router.metrics().failover(call.route());
        }
        attempts++;
        worker = next.get();
        status = 0;
        try {
          Endpoint endpoint = endpoints.get(worker);
          byte[] h = upstream.head(endpoint, call.path(), call.query(), call.body().length);
          ByteBuffer request = ByteBuffer.allocate(h.length + call.body().length);
          request.put(h).put(call.body()).flip();
          lease = router.inFlight().start(worker.name());
          Upstream u = client.loop.pooled(endpoint);
          if (u == null) {
            u = client.loop.connect(endpoint, address(endpoint));
          }
          up = u;
          u.send(this, request);
          return;
        } catch (UpstreamFailure f) {
          if (!failedBeforeAnswer(f)) {
            return;
          }
        }
      }
    }

    private InetSocketAddress address(Endpoint endpoint) throws UpstreamFailure {
      try {
        return new InetSocketAddress(upstream.allowed(endpoint), endpoint.port());
      } catch (IOException e) {
        throw upstream.connectFailure(e);
      }
    }

    /**
     * Records a failed attempt; true when another worker may be tried (the caller goes on), false
     * when the client has been answered.
     */
    boolean failedBeforeAnswer(UpstreamFailure f) {
      if (lease != null) {
        lease.close();
        lease = null;
      }
      if (up != null) {
        up.close();
        up = null;
      }
      last = f;
      tried.put(worker.name(), f.getMessage());
      router.failed(worker.name(), call, f);
      if (!Router.mayRetry(call, f)) {
        client.error(router.gaveUp(call, f, tried, false));
        return false;
      }
      return true;
    }

    /** An attempt failed in the loop's own time (not inside {@link #attempt}). */
    void failed(UpstreamFailure f) {
      if (passing) {
        cutOff(f);
        return;
      }
      if (failedBeforeAnswer(f)) {
        attempt();
      }
    }

    private void giveUp() {
      client.error(router.gaveUp(call, last, tried, tried.size() == settings.attempts()));
    }

    /** The worker's bytes so far are in {@code up.in}: read the head, then the body. */
    void answerBytes() {
      try {
        if (status == 0 && !head()) {
          return;
        }
        body();
      } catch (IllegalArgumentException e) {
        failed(new UpstreamFailure(Kind.FAILED, "malformed answer: " + e.getMessage()));
      }
    }

    /** Parses the answer's head once whole; false while more is needed. */
    private boolean head() {
      ByteBuffer b = up.in;
      byte[] a = b.array();
      while (true) {
        int len = b.position();
        int end = -1;
        for (int i = 3; i < len; i++) {
          if (a[i] == '\n' && a[i - 1] == '\r' && a[i - 2] == '\n' && a[i - 3] == '\r') {
            end = i + 1;
            break;
          }
        }
        if (end < 0) {
          if (len >= MAX_ANSWER_HEAD) {
            throw new IllegalArgumentException("answer head over " + MAX_ANSWER_HEAD + " bytes");
          }
          return false;
        }
        int lineEnd = FastInferenceConnection.Head.indexOf(a, 0, end, (byte) '\r');
        if (lineEnd < 12
            || !startsWith(a, 0, "HTTP/1.")
            || a[8] != ' '
            || !digit(a[9])
            || !digit(a[10])
            || !digit(a[11])) {
          throw new IllegalArgumentException(
              "not an HTTP/1.x answer: "
                  + UpstreamClient.abbreviate(
                      new String(a, 0, Math.max(0, lineEnd), StandardCharsets.ISO_8859_1)));
        }
        int code = (a[9] - '0') * 100 + (a[10] - '0') * 10 + (a[11] - '0');
        boolean http10 = a[7] == '0';
        String type = null;
        long declared = -1;
        boolean isChunked = false;
        boolean close = http10;
        for (int pos = lineEnd + 2; pos < end - 2; ) {
          int eol = FastInferenceConnection.Head.indexOf(a, pos, end, (byte) '\r');
          if (eol < 0) {
            throw new IllegalArgumentException("bad header line");
          }
          int colon = FastInferenceConnection.Head.indexOf(a, pos, eol, (byte) ':');
          if (colon <= pos) {
            pos = eol + 2; // not a header: skipped, as the worker client does
            continue;
          }
          int from = colon + 1;
          int to = eol;
          while (from < to && (a[from] == ' ' || a[from] == '\t')) {
            from++;
          }
          while (to > from && (a[to - 1] == ' ' || a[to - 1] == '\t')) {
            to--;
          }
          int nameEnd = colon;
          while (nameEnd > pos && a[nameEnd - 1] == ' ') {
            nameEnd--;
          }
          if (FastInferenceConnection.Head.nameIs(a, pos, nameEnd, "content-type")) {
            type = new String(a, from, to - from, StandardCharsets.ISO_8859_1);
          } else if (FastInferenceConnection.Head.nameIs(a, pos, nameEnd, "content-length")) {
            declared = 0;
            if (from == to || to - from > 18) {
              throw new IllegalArgumentException("bad Content-Length");
            }
            for (int i = from; i < to; i++) {
              if (!digit(a[i])) {
                throw new IllegalArgumentException("bad Content-Length");
              }
              declared = declared * 10 + (a[i] - '0');
            }
          } else if (FastInferenceConnection.Head.nameIs(a, pos, nameEnd, "transfer-encoding")) {
            isChunked = contains(a, from, to, "chunked");
          } else if (FastInferenceConnection.Head.nameIs(a, pos, nameEnd, "connection")) {
            close =
                contains(a, from, to, "close") || (http10 && !contains(a, from, to, "keep-alive"));
          }
          pos = eol + 2;
        }
        drop(b, end);
        if (code >= 100 && code < 200) {
          continue; // 100 Continue and the like: the answer follows
        }
        status = code;
        contentType = type;
        keepAlive = !close;
        chunked = isChunked;
        if (code == 204 || code == 304) {
          declared = 0;
          chunked = false;
        }
        length = chunked ? -1 : declared;
        untilClose = !chunked && declared < 0;
        if (untilClose) {
          keepAlive = false;
        }
        decoder = chunked ? new ChunkedDecoder() : null;
        declined = Router.declined(call, status);
        if (!declined) {
          if (status >= 500) {
            router.ejection().failure(worker.name());
          } else {
            router.ejection().success(worker.name());
          }
          if (length > settings.maxBodyBytes()) {
            keepAlive = false;
            finishAttempt(false);
            client.error(router.tooLarge(call, worker, settings.maxBodyBytes()));
            return false;
          }
          if (length > Router.PASS_THROUGH_OVER) {
            passing = true;
            client.start(status, contentType, length);
          }
        }
        whole =
            passing
                ? null
                : ByteBuffer.allocate(
                    (int) Math.min(Router.PASS_THROUGH_OVER + 1, length < 0 ? BUFFER : length));
        bodyBytes = 0;
        return true;
      }
    }

    /** Takes what arrived of the body. */
    private void body() {
      Upstream source = up;
      ByteBuffer b = source.in;
      int len = b.position();
      if (chunked) {
        int used =
            decoder.decode(
                b.array(),
                0,
                len,
                (a, off, n) -> {
                  if (up == source) { // not after this attempt ended (a refusal, a cut-off)
                    data(a, off, n);
                  }
                });
        drop(b, used);
        if (up == source && decoder.done()) {
          if (b.position() > 0) {
            keepAlive = false; // bytes after the end: not ours to keep
          }
          complete();
        }
        return;
      }
      int n = untilClose ? len : (int) Math.min(len, length - bodyBytes);
      data(b.array(), 0, n);
      drop(b, n);
      if (up == source && !untilClose && bodyBytes == length) {
        if (b.position() > 0) {
          keepAlive = false;
        }
        complete();
      }
    }

    /** A piece of the answer's body (decoded). */
    private void data(byte[] a, int off, int n) {
      if (n == 0 || client.closed) {
        return;
      }
      bodyBytes += n;
      if (passing) {
        pass(a, off, n);
        return;
      }
      if (whole.remaining() < n) {
        if (declined) {
          // Only the start of a refusal is shown; the rest is not read (the attempt ends here, so
          // body() stops feeding this answer: up is no longer its connection).
          whole.put(a, off, whole.remaining());
          keepAlive = false;
          refuse();
          return;
        }
        if (bodyBytes > Router.PASS_THROUGH_OVER) {
          // Longer than is held: passed on chunked from here on.
          passing = true;
          client.start(status, contentType, -1);
          whole.flip();
          pass(whole.array(), 0, whole.limit());
          whole = null;
          pass(a, off, n);
          return;
        }
        ByteBuffer bigger =
            ByteBuffer.allocate(Math.max(whole.capacity() * 2, whole.position() + n));
        whole.flip();
        bigger.put(whole);
        whole = bigger;
      }
      whole.put(a, off, n);
    }

    /** Passes a piece of a large answer on (chunked when it has no length). */
    private void pass(byte[] a, int off, int n) {
      if (length < 0 && bodyBytes > settings.maxBodyBytes()) { // bodyBytes counts this piece
        router.overCap(call, worker);
        finishAttempt(false);
        client.close(); // short of the answer's end: the client sees it cut off
        return;
      }
      ByteBuffer piece;
      if (length < 0) {
        byte[] size = (Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
        piece = ByteBuffer.allocate(size.length + n + 2);
        piece.put(size).put(a, off, n).put((byte) '\r').put((byte) '\n').flip();
      } else {
        piece = ByteBuffer.wrap(Arrays.copyOfRange(a, off, off + n));
      }
      client.write(piece);
      if (!client.drained() && up != null) {
        up.pause(); // the client is slower than the worker: wait for it
      }
    }

    void clientDrained() {
      if (up != null) {
        up.resume();
      }
    }

    /** The worker's answer is all here. */
    private void complete() {
      if (declined) {
        refuse();
        return;
      }
      if (passing) {
        if (length < 0) {
          client.write(ByteBuffer.wrap("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1)));
        }
      } else {
        whole.flip();
        byte[] body = Arrays.copyOf(whole.array(), whole.limit());
        client.send(status, contentType, Map.of(), body);
      }
      finishAttempt(true);
      router.metrics().outcome(call.route(), "answered");
      client.done();
    }

    /** A worker that declined (502/503, or a 5xx of an idempotent service): try another. */
    private void refuse() {
      String snippet = "";
      if (whole != null && whole.position() > 0) {
        String s =
            new String(whole.array(), 0, Math.min(whole.position(), 200), StandardCharsets.UTF_8)
                .strip()
                .replaceAll("\\s+", " ");
        snippet = s.isEmpty() ? "" : " (" + s + ")";
      }
      UpstreamFailure f = new UpstreamFailure(Kind.REJECTED, "answered " + status + snippet);
      if (keepAlive && up != null) {
        finishAttempt(true);
        up = null;
      }
      declined = false;
      if (failedBeforeAnswer(f)) {
        attempt();
      }
    }

    /** The attempt is over: the lease given back, the connection kept or closed. */
    private void finishAttempt(boolean reusable) {
      if (lease != null) {
        lease.close();
        lease = null;
      }
      if (up != null) {
        if (reusable && keepAlive) {
          up.idle();
        } else {
          up.close();
        }
        up = null;
      }
    }

    /** The worker's connection ended. */
    void eof() {
      if (status != 0 && untilClose) {
        keepAlive = false;
        complete();
        return;
      }
      boolean before = status == 0 && up != null && up.received == 0;
      UpstreamFailure f =
          before && up.reused
              ? new UpstreamFailure(Kind.STALE, "kept-alive connection closed before an answer")
              : new UpstreamFailure(
                  Kind.FAILED,
                  status == 0 ? "connection closed before an answer" : "answer cut off");
      failed(f);
    }

    /** A worker stopped mid-way through an answer being passed on: the client's answer ends too. */
    private void cutOff(UpstreamFailure f) {
      router.failed(worker.name(), call, f);
      router.metrics().outcome(call.route(), "worker_failed");
      finishAttempt(false);
      client.close(); // short of the answer's end: the client sees it cut off
    }

    /** The client went away: the worker's call is dropped (which cancels it on most servers). */
    void cancel() {
      router.metrics().outcome(call.route(), "cancelled");
      finishAttempt(false);
    }
  }

  /** A connection to a worker, owned by one loop; used by one request at a time. */
  private final class Upstream implements Handler {
    final Loop loop;
    final Endpoint endpoint;
    final SocketChannel channel;
    final SelectionKey key;
    ByteBuffer in = ByteBuffer.allocate(BUFFER);
    ByteBuffer out;
    Forward owner;
    boolean connecting;
    boolean reused;
    long received;
    long deadline;
    long idleSince;
    boolean closed;

    Upstream(Loop loop, Endpoint endpoint, SocketChannel channel, boolean connecting)
        throws IOException {
      this.loop = loop;
      this.endpoint = endpoint;
      this.channel = channel;
      this.connecting = connecting;
      this.key = channel.register(loop.selector, connecting ? SelectionKey.OP_CONNECT : 0, this);
    }

    /** Sends a request; the answer's bytes go to {@code f} as they arrive. */
    void send(Forward f, ByteBuffer request) {
      owner = f;
      received = 0;
      in.clear();
      loop.timed.add(this);
      out = request;
      if (!connecting) {
        writeOut();
      } else {
        key.interestOps(SelectionKey.OP_CONNECT);
      }
    }

    private void writeOut() {
      try {
        channel.write(out);
      } catch (IOException e) {
        Forward f = owner;
        close();
        f.failed(UpstreamClient.lostWhileSending(e));
        return;
      }
      deadline = System.nanoTime() + upstreamTimeoutNanos;
      if (out.hasRemaining()) {
        key.interestOps(SelectionKey.OP_WRITE);
        return;
      }
      out = null;
      key.interestOps(SelectionKey.OP_READ);
    }

    @Override
    public void ready(SelectionKey k) throws IOException {
      if (connecting && k.isConnectable()) {
        try {
          channel.finishConnect();
        } catch (IOException e) {
          Forward f = owner;
          close();
          if (f != null) {
            f.failed(upstream.connectFailure(e));
          }
          return;
        }
        connecting = false;
        if (out != null) {
          writeOut();
        }
        return;
      }
      if (k.isWritable() && out != null) {
        writeOut();
        return;
      }
      if (k.isReadable()) {
        if (owner == null) {
          close(); // a close (or stray bytes) while idle: pooled() skips it
          return;
        }
        if (!in.hasRemaining()) {
          in = grow(in, in.capacity() * 2);
        }
        int n;
        try {
          n = channel.read(in);
        } catch (IOException e) {
          n = -1;
        }
        if (n < 0) {
          Forward f = owner;
          f.eof();
          return;
        }
        received += n;
        deadline = System.nanoTime() + upstreamTimeoutNanos;
        owner.answerBytes();
      }
    }

    void pause() {
      if (key.isValid()) {
        key.interestOps(0);
      }
      deadline = 0;
    }

    void resume() {
      if (key.isValid()) {
        key.interestOps(SelectionKey.OP_READ);
      }
      deadline = System.nanoTime() + upstreamTimeoutNanos;
      if (in.position() > 0 && owner != null) {
        owner.answerBytes();
      }
    }

    /** Back to the pool: reused by the next request to the same endpoint, watched for a close. */
    void idle() {
      owner = null;
      reused = true;
      deadline = 0;
      loop.timed.remove(this);
      if (key.isValid()) {
        key.interestOps(SelectionKey.OP_READ);
      }
      loop.release(this);
    }

    void close() {
      if (closed) {
        return;
      }
      closed = true;
      owner = null;
      loop.timed.remove(this);
      key.cancel();
      UpstreamClient.closeQuietly(channel);
    }

    @Override
    public void expire(long now) {
      if (deadline == 0 || now - deadline <= 0 || owner == null) {
        return;
      }
      Forward f = owner;
      boolean wasConnecting = connecting;
      close();
      f.failed(wasConnecting ? upstream.connectTimedOut() : upstream.timedOut());
    }

    @Override
    public void shutdown() {
      Forward f = owner;
      close();
      if (f != null && running) {
        // A failure on this connection the loop did not expect: the request is not left waiting.
        f.failed(new UpstreamFailure(Kind.FAILED, "connection to the worker failed"));
      }
    }
  }

  /**
   * A client connection handed to Helidon: bytes copied both ways as they come, each way held back
   * while the other side is not taking them.
   */
  private final class Relay implements Handler {
    final Loop loop;
    final Client client;
    final SocketChannel inner;
    final SelectionKey innerKey;
    final ByteBuffer toInner;
    final ByteBuffer toClient = ByteBuffer.allocate(BUFFER);
    boolean connecting;
    boolean clientEnded;
    boolean innerEnded;
    boolean closed;

    Relay(Loop loop, Client client) {
      this.loop = loop;
      this.client = client;
      SocketChannel ch = null;
      SelectionKey k = null;
      ByteBuffer first;
      try {
        byte[] proxy = proxyHeader(client.channel);
        client.in.flip();
        first = ByteBuffer.allocate(Math.max(BUFFER, proxy.length + client.in.remaining()));
        first.put(proxy).put(client.in);
        ch = SocketChannel.open();
        ch.configureBlocking(false);
        ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
        connecting = !ch.connect(helidon);
        k = ch.register(loop.selector, 0, this);
      } catch (IOException e) {
        LOG.log(Level.WARNING, "cannot reach the internal listener: " + e);
        UpstreamClient.closeQuietly(ch);
        client.close();
        this.inner = null;
        this.innerKey = null;
        this.toInner = null;
        this.closed = true;
        return;
      }
      this.inner = ch;
      this.innerKey = k;
      this.toInner = first;
      client.key.attach(this);
      interest();
    }

    private byte[] proxyHeader(SocketChannel c) throws IOException {
      InetSocketAddress src = (InetSocketAddress) c.getRemoteAddress();
      InetSocketAddress dst = (InetSocketAddress) c.getLocalAddress();
      String line;
      if (src.getAddress() == null
          || dst.getAddress() == null
          || (src.getAddress() instanceof Inet4Address)
              != (dst.getAddress() instanceof Inet4Address)) {
        line = "PROXY UNKNOWN\r\n";
      } else {
        line =
            "PROXY "
                + (src.getAddress() instanceof Inet4Address ? "TCP4 " : "TCP6 ")
                + src.getAddress().getHostAddress()
                + " "
                + dst.getAddress().getHostAddress()
                + " "
                + src.getPort()
                + " "
                + dst.getPort()
                + "\r\n";
      }
      return line.getBytes(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void ready(SelectionKey k) throws IOException {
      if (closed) {
        return;
      }
      if (k == innerKey) {
        if (connecting && k.isConnectable()) {
          inner.finishConnect();
          connecting = false;
          drain(toInner, inner);
        }
        if (k.isValid() && k.isWritable()) {
          drain(toInner, inner);
        }
        if (k.isValid() && k.isReadable()) {
          if (fill(inner, toClient)) {
            innerEnded = true;
          }
          drain(toClient, client.channel);
        }
      } else {
        if (k.isWritable()) {
          drain(toClient, client.channel);
        }
        if (k.isValid() && k.isReadable()) {
          if (fill(client.channel, toInner)) {
            clientEnded = true;
          }
          drain(toInner, inner);
        }
      }
      if (closed) {
        return;
      }
      if (innerEnded && toClient.position() == 0) {
        close(); // Helidon closed and everything it sent reached the client
        return;
      }
      if (clientEnded && toInner.position() == 0 && !connecting) {
        inner.shutdownOutput();
      }
      interest();
    }

    /** Reads what fits; true at the end of the stream. */
    private boolean fill(SocketChannel from, ByteBuffer buf) throws IOException {
      if (!buf.hasRemaining()) {
        return false;
      }
      return from.read(buf) < 0;
    }

    /** Writes what the channel takes of the buffer (kept in fill mode). */
    private void drain(ByteBuffer buf, SocketChannel to) throws IOException {
      if (buf.position() == 0 || (to == inner && connecting)) {
        return;
      }
      buf.flip();
      try {
        to.write(buf);
      } finally {
        buf.compact();
      }
    }

    private void interest() {
      if (!client.key.isValid() || !innerKey.isValid()) {
        close();
        return;
      }
      int c = 0;
      if (!clientEnded && toInner.hasRemaining()) {
        c |= SelectionKey.OP_READ;
      }
      if (toClient.position() > 0) {
        c |= SelectionKey.OP_WRITE;
      }
      int i;
      if (connecting) {
        i = SelectionKey.OP_CONNECT;
      } else {
        i = 0;
        if (!innerEnded && toClient.hasRemaining()) {
          i |= SelectionKey.OP_READ;
        }
        if (toInner.position() > 0) {
          i |= SelectionKey.OP_WRITE;
        }
      }
      if (client.key.interestOps() != c) {
        client.key.interestOps(c);
      }
      if (innerKey.interestOps() != i) {
        innerKey.interestOps(i);
      }
    }

    void close() {
      if (closed) {
        return;
      }
      closed = true;
      if (innerKey != null) {
        innerKey.cancel();
      }
      UpstreamClient.closeQuietly(inner);
      client.close();
    }

    @Override
    public void expire(long now) {
      // Idle and slow connections are Helidon's to close; the relay follows.
    }

    @Override
    public void shutdown() {
      close();
    }
  }

  private static ByteBuffer grow(ByteBuffer b, int capacity) {
    ByteBuffer bigger = ByteBuffer.allocate(capacity);
    b.flip();
    bigger.put(b);
    return bigger;
  }

  /** Drops the first {@code n} bytes of a buffer in fill mode. */
  private static void drop(ByteBuffer b, int n) {
    if (n == 0) {
      return;
    }
    int len = b.position();
    System.arraycopy(b.array(), n, b.array(), 0, len - n);
    b.position(len - n);
  }

  /**
   * Whether a host is an IP address written out (so connecting needs no name lookup, which would
   * block the loop): four decimal octets up to 255, or an IPv6 address.
   */
  static boolean ipLiteral(String host) {
    if (host.indexOf(':') >= 0) {
      return true;
    }
    if (!IPV4.matcher(host).matches()) {
      return false;
    }
    for (String octet : host.split("\\.")) {
      if (Integer.parseInt(octet) > 255) {
        return false;
      }
    }
    return true;
  }

  private static boolean digit(byte c) {
    return c >= '0' && c <= '9';
  }

  private static boolean startsWith(byte[] b, int at, String s) {
    for (int i = 0; i < s.length(); i++) {
      if (b[at + i] != s.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  /** Whether {@code b[from, to)} contains {@code word} (lower case), ignoring ASCII case. */
  private static boolean contains(byte[] b, int from, int to, String word) {
    for (int i = from; i + word.length() <= to; i++) {
      if (FastInferenceConnection.Head.nameIs(b, i, i + word.length(), word)) {
        return true;
      }
    }
    return false;
  }
}
