import java.io.*;
import java.net.*;
import java.nio.charset.StandardCharsets;

/**
 * A yardstick for bench/yardsticks.sh, not a proxy to use: blocking I/O on a thread per client
 * connection (virtual or platform), one upstream socket per client, a hand-parsed head. The least
 * the coordinator's threading model costs per proxied request, with no routing at all.
 * Run: java bench/BareProxy.java PORT BACKEND_PORT vt|platform
 */
public final class BareProxy {
  public static void main(String[] a) throws Exception {
    int port = Integer.parseInt(a[0]);
    int up = Integer.parseInt(a[1]);
    boolean virtual = a[2].equals("vt");
    ServerSocket ss = new ServerSocket();
    ss.bind(new InetSocketAddress("127.0.0.1", port), 512);
    Thread.Builder b = virtual ? Thread.ofVirtual() : Thread.ofPlatform().stackSize(256 * 1024);
    while (true) {
      Socket c = ss.accept();
      c.setTcpNoDelay(true);
      b.start(() -> serve(c, up));
    }
  }

  static int headEnd(byte[] buf, int n) {
    for (int i = 3; i < n; i++)
      if (buf[i] == '\n' && buf[i - 1] == '\r' && buf[i - 2] == '\n' && buf[i - 3] == '\r') return i + 1;
    return -1;
  }

  static int contentLength(byte[] buf, int end) {
    String h = new String(buf, 0, end, StandardCharsets.ISO_8859_1).toLowerCase();
    int i = h.indexOf("content-length:");
    if (i < 0) return 0;
    int j = h.indexOf('\r', i);
    return Integer.parseInt(h.substring(i + 15, j).trim());
  }

  /** Reads one message (head + Content-Length body) into buf; returns its length or -1. */
  static int readMessage(InputStream in, byte[] buf) throws IOException {
    int n = 0;
    while (true) {
      int r = in.read(buf, n, buf.length - n);
      if (r < 0) return -1;
      n += r;
      int e = headEnd(buf, n);
      if (e > 0) {
        int total = e + contentLength(buf, e);
        while (n < total) {
          r = in.read(buf, n, total - n);
          if (r < 0) return -1;
          n += r;
        }
        return total;
      }
    }
  }

  static void serve(Socket c, int up) {
    try (c; Socket u = new Socket("127.0.0.1", up)) {
      u.setTcpNoDelay(true);
      InputStream ci = c.getInputStream(), ui = u.getInputStream();
      OutputStream co = c.getOutputStream(), uo = u.getOutputStream();
      byte[] req = new byte[16384], ans = new byte[16384];
      while (true) {
        int n = readMessage(ci, req);
        if (n < 0) return;
        uo.write(req, 0, n);
        int m = readMessage(ui, ans);
        if (m < 0) return;
        co.write(ans, 0, m);
      }
    } catch (IOException e) {
    }
  }
}
