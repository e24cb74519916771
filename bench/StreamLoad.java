import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Load driver for streaming completions: CLIENTS connections at once, each sending
 * {@code POST /v1/completions {"stream": true}} again as soon as its stream ended, for SECONDS.
 * Prints streams completed, errors, and the time to the first token (the first SSE event) p50 /
 * p99 / max in ms. Clients start spread over the first second. Bench code: a raw HTTP/1.1 client
 * on virtual threads, light enough to drive 3,000 streams from one core. Run:
 * java bench/StreamLoad.java HOST:PORT CLIENTS SECONDS
 */
public final class StreamLoad {
  private static final byte[] BODY =
      "{\"model\":\"bench\",\"prompt\":\"Once upon a time\",\"max_tokens\":50,\"stream\":true}"
          .getBytes(StandardCharsets.UTF_8);

  public static void main(String[] args) throws Exception {
    String[] hp = args[0].split(":");
    InetSocketAddress target = new InetSocketAddress(hp[0], Integer.parseInt(hp[1]));
    int clients = Integer.parseInt(args[1]);
    long seconds = Long.parseLong(args[2]);
    byte[] head =
        ("POST /v1/completions HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
                + "Content-Length: "
                + BODY.length
                + "\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII);
    ConcurrentLinkedQueue<Long> ttfb = new ConcurrentLinkedQueue<>();
    AtomicLong done = new AtomicLong();
    AtomicLong errors = new AtomicLong();
    ConcurrentLinkedQueue<String> errorKinds = new ConcurrentLinkedQueue<>();
    long end = System.nanoTime() + seconds * 1_000_000_000L;
    CountDownLatch finished = new CountDownLatch(clients);
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < clients; i++) {
      long delay = 1000L * i / clients;
      threads.add(
          Thread.ofVirtual()
              .start(
                  () -> {
                    try {
                      Thread.sleep(delay);
                      run(target, head, end, ttfb, done, errors, errorKinds);
                    } catch (InterruptedException e) {
                      Thread.currentThread().interrupt();
                    } finally {
                      finished.countDown();
                    }
                  }));
    }
    finished.await();
    long[] t = ttfb.stream().mapToLong(Long::longValue).sorted().toArray();
    System.out.printf(
        Locale.ROOT,
        "streams %d errors %d ttfb_ms p50 %.1f p99 %.1f max %.1f%s%n",
        done.get(),
        errors.get(),
        pct(t, 50) / 1e6,
        pct(t, 99) / 1e6,
        t.length == 0 ? 0 : t[t.length - 1] / 1e6,
        errorKinds.isEmpty() ? "" : " first_errors " + errorKinds.stream().limit(3).toList());
  }

  private static double pct(long[] sorted, int p) {
    if (sorted.length == 0) {
      return 0;
    }
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
  }

  private static void run(
      InetSocketAddress target,
      byte[] head,
      long end,
      ConcurrentLinkedQueue<Long> ttfb,
      AtomicLong done,
      AtomicLong errors,
      ConcurrentLinkedQueue<String> errorKinds) {
    Socket s = null;
    InputStream in = null;
    OutputStream out = null;
    while (System.nanoTime() < end) {
      try {
        if (s == null) {
          s = new Socket();
          s.setTcpNoDelay(true);
          s.connect(target, 10_000);
          s.setSoTimeout(60_000);
          in = new BufferedInputStream(s.getInputStream(), 16 * 1024);
          out = s.getOutputStream();
        }
        long start = System.nanoTime();
        out.write(head);
        out.write(BODY);
        out.flush();
        String status = line(in);
        if (!status.startsWith("HTTP/1.1 200")) {
          throw new IOException("status " + status);
        }
        boolean chunked = false;
        boolean close = false;
        for (String h = line(in); !h.isEmpty(); h = line(in)) {
          String l = h.toLowerCase(Locale.ROOT);
          chunked |= l.startsWith("transfer-encoding:") && l.contains("chunked");
          close |= l.startsWith("connection:") && l.contains("close");
        }
        if (!chunked) {
          throw new IOException("not chunked");
        }
        boolean first = true;
        boolean sawDone = false;
        while (true) {
          int size = Integer.parseInt(line(in).split(";")[0].strip(), 16);
          if (size == 0) {
            line(in);
            break;
          }
          byte[] data = in.readNBytes(size);
          line(in);
          String text = new String(data, StandardCharsets.UTF_8);
          if (first && text.contains("data: {")) {
            ttfb.add(System.nanoTime() - start);
            first = false;
          }
          sawDone |= text.contains("[DONE]");
        }
        if (!sawDone) {
          throw new IOException("stream without [DONE]");
        }
        done.incrementAndGet();
        if (close) {
          s.close();
          s = null;
        }
      } catch (IOException | RuntimeException e) {
        errors.incrementAndGet();
        if (errorKinds.size() < 10) {
          errorKinds.add(e.toString());
        }
        try {
          if (s != null) {
            s.close();
          }
        } catch (IOException ignored) {
          // closing a broken connection
        }
        s = null;
      }
    }
    if (s != null) {
      try {
        s.close();
      } catch (IOException ignored) {
        // done
      }
    }
  }

  private static String line(InputStream in) throws IOException {
    StringBuilder b = new StringBuilder();
    int c;
    while ((c = in.read()) != '\n') {
      if (c < 0) {
        throw new IOException("connection closed");
      }
      if (c != '\r') {
        b.append((char) c);
      }
    }
    return b.toString();
  }

}
