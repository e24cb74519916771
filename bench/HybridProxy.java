import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.*;
import java.util.Iterator;
import java.util.concurrent.locks.LockSupport;

/**
 * A yardstick for bench/yardsticks.sh, not a proxy to use: sockets stay registered with one NIO
 * selector thread, which reads whatever arrives; the work on each request runs in blocking style
 * on a virtual thread per connection, which the selector thread wakes when a whole request (or a
 * whole answer) has arrived, and which writes itself. So the question it answers: how much of a
 * selector loop's saving over virtual-thread-per-connection I/O is left when the request handling
 * stays plain blocking code. No routing, no limits, no errors.
 * Run: java bench/HybridProxy.java PORT BACKEND_PORT
 */
public final class HybridProxy {
  /**
   * End of the first whole message (head and Content-Length body) in {@code b[0, position)}, or -1.
   * Only the framing the benchmark's stub and wrk script use.
   */
  static int messageEnd(ByteBuffer b) {
    int n = b.position();
    for (int i = 3; i < n; i++) {
      if (b.get(i) == '\n' && b.get(i - 1) == '\r' && b.get(i - 2) == '\n' && b.get(i - 3) == '\r') {
        int end = i + 1 + contentLength(b, i + 1);
        return end <= n ? end : -1;
      }
    }
    return -1;
  }

  /** The Content-Length in the head {@code b[0, end)}, 0 when none. */
  static int contentLength(ByteBuffer b, int end) {
    byte[] key = "\r\ncontent-length:".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    outer:
    for (int i = 0; i + key.length < end; i++) {
      for (int j = 0; j < key.length; j++) {
        if (Character.toLowerCase(b.get(i + j)) != key[j]) {
          continue outer;
        }
      }
      int p = i + key.length, v = 0;
      while (b.get(p) == ' ') p++;
      while (b.get(p) >= '0' && b.get(p) <= '9') v = v * 10 + (b.get(p++) - '0');
      return v;
    }
    return 0;
  }

  /** One side of a connection: the selector thread reads into {@code in} and wakes the waiter. */
  static final class Side {
    final SocketChannel ch;
    final ByteBuffer in = ByteBuffer.allocateDirect(65536);
    volatile int ready = -1; // end of a whole message in `in`, set by the selector thread
    volatile boolean closed;
    volatile Thread waiter;

    Side(SocketChannel ch) {
      this.ch = ch;
    }

    /** Selector thread: read what is there; wake the waiter on a whole message or the end. */
    void readable() throws IOException {
      int n = ch.read(in);
      if (n < 0) {
        closed = true;
        ch.close();
        LockSupport.unpark(waiter);
        return;
      }
      int end = messageEnd(in);
      if (end > 0) {
        ready = end;
        LockSupport.unpark(waiter);
      }
    }

    /** Virtual thread: park until a whole message arrived; copies it out of `in` into `out`. */
    boolean await(ByteBuffer out) {
      while (ready < 0 && !closed) {
        LockSupport.park(this);
      }
      if (ready < 0) {
        return false;
      }
      // The selector thread does not read this side again before we answered: no more bytes come
      // on it until then (no pipelining in this yardstick).
      int end = ready;
      ready = -1;
      in.flip();
      int lim = in.limit();
      in.limit(end);
      out.clear();
      out.put(in);
      out.flip();
      in.limit(lim);
      in.compact();
      return true;
    }

    void writeAll(ByteBuffer b) throws IOException {
      while (b.hasRemaining()) {
        if (ch.write(b) == 0) {
          Thread.onSpinWait(); // a full socket buffer: not in this yardstick's load
        }
      }
    }
  }

  public static void main(String[] a) throws Exception {
    int port = Integer.parseInt(a[0]);
    InetSocketAddress upAddr = new InetSocketAddress("127.0.0.1", Integer.parseInt(a[1]));
    Selector sel = Selector.open();
    ServerSocketChannel ss = ServerSocketChannel.open();
    ss.bind(new InetSocketAddress("127.0.0.1", port), 512);
    ss.configureBlocking(false);
    ss.register(sel, SelectionKey.OP_ACCEPT);
    while (true) {
      sel.select();
      Iterator<SelectionKey> it = sel.selectedKeys().iterator();
      while (it.hasNext()) {
        SelectionKey k = it.next();
        it.remove();
        if (!k.isValid()) {
          continue;
        }
        try {
          if (k.isAcceptable()) {
            SocketChannel c;
            while ((c = ss.accept()) != null) {
              c.configureBlocking(false);
              c.setOption(StandardSocketOptions.TCP_NODELAY, true);
              SocketChannel u = SocketChannel.open(upAddr);
              u.setOption(StandardSocketOptions.TCP_NODELAY, true);
              u.configureBlocking(false);
              Side client = new Side(c);
              Side up = new Side(u);
              Thread vt = Thread.ofVirtual().unstarted(() -> serve(client, up));
              client.waiter = vt;
              up.waiter = vt;
              c.register(sel, SelectionKey.OP_READ, client);
              u.register(sel, SelectionKey.OP_READ, up);
              vt.start();
            }
          } else if (k.isReadable()) {
            ((Side) k.attachment()).readable();
          }
        } catch (IOException e) {
          k.cancel();
          try {
            k.channel().close();
          } catch (IOException ignored) {
          }
        }
      }
    }
  }

  /** The connection's virtual thread: blocking-style request handling. */
  static void serve(Side client, Side up) {
    ByteBuffer request = ByteBuffer.allocate(65536);
    ByteBuffer answer = ByteBuffer.allocate(65536);
    try {
      while (client.await(request)) {
        up.writeAll(request);
        if (!up.await(answer)) {
          break;
        }
        client.writeAll(answer);
      }
    } catch (IOException e) {
      // connection gone
    } finally {
      try {
        client.ch.close();
        up.ch.close();
      } catch (IOException ignored) {
      }
    }
  }
}
