import io.helidon.webclient.http1.Http1Client;
import io.helidon.webclient.http1.Http1ClientResponse;
import io.helidon.webserver.WebServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * The smallest proxy for each HTTP client the coordinator could use to call workers: POST
 * /v1/completions is read, sent to the backend, and the answer passed back. Only the client
 * differs, so wrk through it compares the clients.
 * Run: java -cp "target/libs/*" bench/ClientChoice.java PORT BACKEND_URL helidon|jdk|raw
 */
public final class ClientChoice {
  static java.net.InetSocketAddress target(String url) {
    URI u = URI.create(url);
    return new java.net.InetSocketAddress(u.getHost(), u.getPort());
  }

  /** Minimal keep-alive HTTP/1.1 client: Content-Length answers only (an upper bound). */
  static final class RawPool {
    private final java.net.InetSocketAddress addr;
    private final java.util.concurrent.ConcurrentLinkedDeque<java.net.Socket> idle =
        new java.util.concurrent.ConcurrentLinkedDeque<>();

    RawPool(java.net.InetSocketAddress addr) {
      this.addr = addr;
    }

    byte[] post(String path, byte[] body) throws java.io.IOException {
      java.net.Socket s = idle.poll();
      if (s == null) {
        s = new java.net.Socket();
        s.setTcpNoDelay(true);
        s.connect(addr, 2000);
        s.setSoTimeout(30000);
      }
      byte[] head =
          ("POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                  + body.length + "\r\n\r\n")
              .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      byte[] all = java.util.Arrays.copyOf(head, head.length + body.length);
      System.arraycopy(body, 0, all, head.length, body.length);
      s.getOutputStream().write(all);
      java.io.InputStream in = s.getInputStream();
      byte[] buf = new byte[8192];
      int n = 0, end = -1;
      while (end < 0) {
        int r = in.read(buf, n, buf.length - n);
        if (r < 0) throw new java.io.EOFException();
        n += r;
        for (int i = 3; i < n; i++) if (buf[i] == '\n' && buf[i - 2] == '\n') { end = i + 1; break; }
      }
      String headers = new String(buf, 0, end, java.nio.charset.StandardCharsets.US_ASCII).toLowerCase();
      int at = headers.indexOf("content-length:");
      int len = Integer.parseInt(headers.substring(at + 15, headers.indexOf('\r', at)).trim());
      byte[] answer = new byte[len];
      int have = Math.min(len, n - end);
      System.arraycopy(buf, end, answer, 0, have);
      while (have < len) {
        int r = in.read(answer, have, len - have);
        if (r < 0) throw new java.io.EOFException();
        have += r;
      }
      idle.push(s);
      return answer;
    }
  }

  public static void main(String[] args) {
    int port = Integer.parseInt(args[0]);
    String backend = args[1] + "/v1/completions";
    boolean jdk = args[2].equals("jdk");
    boolean raw = args[2].equals("raw");
    RawPool rawPool = new RawPool(target(args[1]));
    Http1Client helidon =
        Http1Client.builder()
            .connectTimeout(Duration.ofSeconds(2))
            .readTimeout(Duration.ofSeconds(30))
            .shareConnectionCache(false)
            .build();
    HttpClient java =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2))
            .build();
    URI target = URI.create(backend);
    WebServer.builder()
        .port(port)
        .routing(
            r ->
                r.post(
                    "/v1/completions",
                    (req, res) -> {
                      byte[] body = req.content().as(byte[].class);
                      if (raw) {
                        byte[] answer = rawPool.post("/v1/completions", body);
                        res.header("Content-Type", "application/json");
                        res.send(answer);
                      } else if (jdk) {
                        HttpResponse<byte[]> a =
                            java.send(
                                HttpRequest.newBuilder(target)
                                    .timeout(Duration.ofSeconds(30))
                                    .header("Content-Type", "application/json")
                                    .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                                    .build(),
                                HttpResponse.BodyHandlers.ofByteArray());
                        res.status(a.statusCode());
                        res.header("Content-Type", "application/json");
                        res.send(a.body());
                      } else {
                        try (Http1ClientResponse a =
                            helidon
                                .post()
                                .uri(target)
                                .header(
                                    io.helidon.http.HeaderNames.CONTENT_TYPE, "application/json")
                                .submit(body)) {
                          byte[] answer = a.inputStream().readAllBytes();
                          res.status(a.status());
                          res.header("Content-Type", "application/json");
                          res.send(answer);
                        }
                      }
                    }))
        .build()
        .start();
  }
}
