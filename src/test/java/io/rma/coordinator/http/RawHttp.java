package io.rma.coordinator.http;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** HTTP/1.1 written and read byte by byte, for tests of what goes over one connection. */
final class RawHttp {
  private RawHttp() {}

  static String post(String path, String body, String extraHeaders) {
    return "POST "
        + path
        + " HTTP/1.1\r\nHost: coordinator\r\nContent-Type: application/json\r\n"
        + extraHeaders
        + "Content-Length: "
        + body.getBytes(StandardCharsets.UTF_8).length
        + "\r\n\r\n"
        + body;
  }

  static String get(String path) {
    return "GET " + path + " HTTP/1.1\r\nHost: coordinator\r\n\r\n";
  }

  /** One answer read off the socket: status, headers (lower-case names), body (de-chunked). */
  record Answer(int status, Map<String, String> headers, String body) {
    JsonNode json() {
      try {
        return StubWorker.JSON.readTree(body);
      } catch (IOException e) {
        throw new AssertionError("not JSON: " + body, e);
      }
    }
  }

  /** A raw HTTP/1.1 client connection with a read timeout, so a broken server fails the test. */
  static final class Raw implements AutoCloseable {
    final Socket socket;
    final InputStream in;

    Raw(RoutingHarness c) throws IOException {
      this(c, "127.0.0.1");
    }

    /** Connects to a server on this machine's loopback. */
    Raw(int port) throws IOException {
      socket = new Socket(InetAddress.getByName("127.0.0.1"), port);
      socket.setSoTimeout(10_000);
      in = socket.getInputStream();
    }

    /** Connects from {@code localAddress} (another loopback address is another client). */
    Raw(RoutingHarness c, String localAddress) throws IOException {
      socket =
          new Socket(
              InetAddress.getByName("127.0.0.1"),
              c.server.port(),
              InetAddress.getByName(localAddress),
              0);
      socket.setSoTimeout(10_000);
      in = socket.getInputStream();
    }

    void write(String s) throws IOException {
      socket.getOutputStream().write(s.getBytes(StandardCharsets.UTF_8));
      socket.getOutputStream().flush();
    }

    Answer exchange(String request) throws IOException {
      write(request);
      return read();
    }

    Answer read() throws IOException {
      String status = line();
      Map<String, String> headers = new LinkedHashMap<>();
      for (String h = line(); !h.isEmpty(); h = line()) {
        int colon = h.indexOf(':');
        headers.put(
            h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
      }
      int code = Integer.parseInt(status.substring(9, 12));
      ByteArrayOutputStream body = new ByteArrayOutputStream();
      if (code >= 100 && code < 200) {
        return new Answer(code, headers, "");
      }
      if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
        for (int size = Integer.parseInt(line().trim(), 16);
            size > 0;
            size = Integer.parseInt(line().trim(), 16)) {
          body.write(in.readNBytes(size));
          line();
        }
        line();
      } else {
        body.write(in.readNBytes(Integer.parseInt(headers.getOrDefault("content-length", "0"))));
      }
      return new Answer(code, headers, body.toString(StandardCharsets.UTF_8));
    }

    private String line() throws IOException {
      List<Byte> bytes = new ArrayList<>();
      int b;
      while ((b = in.read()) != '\n') {
        if (b < 0) {
          throw new IOException("connection closed mid-answer");
        }
        bytes.add((byte) b);
      }
      byte[] out = new byte[bytes.size()];
      for (int i = 0; i < out.length; i++) {
        out[i] = bytes.get(i);
      }
      String s = new String(out, StandardCharsets.ISO_8859_1);
      return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}
