import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Benchmark backend that answers like vLLM streaming a completion: 200 ms to the first token
 * (prefill), then 50 SSE chunks 20 ms apart (decode), then {@code data: [DONE]}, chunked, on kept-alive
 * connections. Bench code, not the product: a plain socket server with a virtual thread per
 * connection, so 3,000 streams at once cost it little. Run:
 * java bench/StreamStub.java PORT [FIRST_MS] [CHUNKS] [GAP_MS]
 */
public final class StreamStub {
  public static void main(String[] args) throws IOException {
    int port = Integer.parseInt(args[0]);
    long first = args.length > 1 ? Long.parseLong(args[1]) : 200;
    int chunks = args.length > 2 ? Integer.parseInt(args[2]) : 50;
    long gap = args.length > 3 ? Long.parseLong(args[3]) : 20;
    try (ServerSocket server = new ServerSocket(port, 4096, InetAddress.getLoopbackAddress())) {
      while (true) {
        Socket s = server.accept();
        Thread.ofVirtual().start(() -> serve(s, first, chunks, gap));
      }
    }
  }

  private static void serve(Socket s, long first, int chunks, long gap) {
    try (s) {
      s.setTcpNoDelay(true);
      InputStream in = new BufferedInputStream(s.getInputStream());
      OutputStream out = s.getOutputStream();
      while (true) {
        long length = readHead(in);
        if (length < 0) {
          return;
        }
        in.skipNBytes(length);
        out.write(
            ("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.flush();
        Thread.sleep(first);
        for (int i = 0; i < chunks; i++) {
          chunk(
              out,
              "data: {\"id\":\"cmpl-bench\",\"object\":\"text_completion\",\"choices\":[{\"index\":0,"
                  + "\"text\":\" token"
                  + i
                  + "\",\"finish_reason\":null}]}\n\n");
          if (i + 1 < chunks) {
            Thread.sleep(gap);
          }
        }
        chunk(out, "data: [DONE]\n\n");
        out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
      }
    } catch (IOException | InterruptedException e) {
      // the client left
    }
  }

  private static void chunk(OutputStream out, String data) throws IOException {
    byte[] b = data.getBytes(StandardCharsets.UTF_8);
    out.write((Integer.toHexString(b.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
    out.write(b);
    out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
    out.flush();
  }

  /** Reads a request head; its Content-Length, or -1 at the end of the connection. */
  private static long readHead(InputStream in) throws IOException {
    StringBuilder line = new StringBuilder();
    long length = 0;
    boolean any = false;
    int b;
    while ((b = in.read()) >= 0) {
      any = true;
      if (b == '\n') {
        String l = line.toString().strip();
        if (l.isEmpty()) {
          return length;
        }
        if (l.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
          length = Long.parseLong(l.substring(15).strip());
        }
        line.setLength(0);
      } else {
        line.append((char) b);
      }
    }
    return any ? -1 : -1;
  }
}
