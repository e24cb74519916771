import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.*;
import java.util.Iterator;

/**
 * A yardstick for bench/yardsticks.sh, not a proxy to use: the least a JVM can do per proxied
 * request, nginx-style. One thread, one NIO selector; each client gets its own upstream connection;
 * both stay registered for reads (no epoll_ctl per request); a whole request (head and
 * Content-Length body) is written upstream, a whole answer back. No routing, no limits, no errors.
 * Run: java bench/NioProxy.java PORT BACKEND_PORT
 */
public final class NioProxy {
  static final class Conn {
    SocketChannel client, up;
    ByteBuffer fromClient = ByteBuffer.allocateDirect(65536), fromUp = ByteBuffer.allocateDirect(65536);
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
          continue; // its connection was closed by the other side's event in this batch
        }
        try {
          if (k.isAcceptable()) {
            SocketChannel c;
            while ((c = ss.accept()) != null) {
              c.configureBlocking(false);
              c.setOption(StandardSocketOptions.TCP_NODELAY, true);
              Conn conn = new Conn();
              conn.client = c;
              conn.up = SocketChannel.open(upAddr);
              conn.up.setOption(StandardSocketOptions.TCP_NODELAY, true);
              conn.up.configureBlocking(false);
              c.register(sel, SelectionKey.OP_READ, conn);
              conn.up.register(sel, SelectionKey.OP_READ, conn);
            }
          } else if (k.isReadable()) {
            Conn conn = (Conn) k.attachment();
            boolean fromClient = k.channel() == conn.client;
            SocketChannel src = fromClient ? conn.client : conn.up;
            SocketChannel dst = fromClient ? conn.up : conn.client;
            ByteBuffer buf = fromClient ? conn.fromClient : conn.fromUp;
            int n = src.read(buf);
            if (n < 0) {
              conn.client.close();
              conn.up.close();
              continue;
            }
            int end = messageEnd(buf);
            if (end > 0) {
              buf.flip();
              int lim = buf.limit();
              buf.limit(end);
              while (buf.hasRemaining()) dst.write(buf);
              buf.limit(lim);
              buf.compact();
            }
          }
        } catch (IOException e) {
          k.cancel();
          try { k.channel().close(); } catch (IOException ignored) {}
        }
      }
    }
  }

  /** End offset of the first complete message (head + Content-Length body) in buf[0, position), or -1. */
  static int messageEnd(ByteBuffer buf) {
    int n = buf.position();
    for (int i = 3; i < n; i++) {
      if (buf.get(i) == '\n' && buf.get(i - 1) == '\r' && buf.get(i - 2) == '\n' && buf.get(i - 3) == '\r') {
        int headEnd = i + 1;
        int len = contentLength(buf, headEnd);
        return headEnd + len <= n ? headEnd + len : -1;
      }
    }
    return -1;
  }

  static int contentLength(ByteBuffer b, int end) {
    // find "\r\ncontent-length:" case-insensitively
    String key = "\r\ncontent-length:";
    outer:
    for (int i = 0; i + key.length() < end; i++) {
      for (int j = 0; j < key.length(); j++) {
        int c = b.get(i + j);
        if (c >= 'A' && c <= 'Z') c += 32;
        if (c != key.charAt(j)) continue outer;
      }
      int p = i + key.length(), v = 0;
      while (b.get(p) == ' ') p++;
      while (b.get(p) >= '0' && b.get(p) <= '9') v = v * 10 + (b.get(p++) - '0');
      return v;
    }
    return 0;
  }
}
