package io.rma.coordinator.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real worker for tests: an HTTP server on a random port speaking the shapes of vLLM's OpenAI API
 * ({@code /v1/completions}, {@code /v1/chat/completions}), Ollama ({@code /api/generate}), and the
 * RAG ({@code /query}) and NER ({@code /extract}) services. Answers name the worker; every request
 * is recorded. Tests replace a path's handler to script failures or streams.
 */
final class StubWorker implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();

  /** A request as the worker received it. */
  record Received(String path, String query, JsonNode body) {}

  /** Handles one exchange; the request body is already read. */
  interface Handler {
    void handle(HttpExchange exchange, JsonNode body) throws Exception;
  }

  final String name;
  final AtomicInteger hits = new AtomicInteger();
  final ConcurrentLinkedQueue<Received> received = new ConcurrentLinkedQueue<>();
  private final Map<String, Handler> handlers = new ConcurrentHashMap<>();
  private final HttpServer server;
  private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();

  StubWorker(String name) throws IOException {
    this.name = name;
    handlers.put(
        "/v1/completions",
        (ex, body) ->
            json(
                ex,
                200,
                Map.of(
                    "object",
                    "text_completion",
                    "model",
                    body.path("model").asText("default"),
                    "worker",
                    name,
                    "choices",
                    new Object[] {Map.of("index", 0, "text", "hello from " + name)})));
    handlers.put(
        "/v1/chat/completions",
        (ex, body) ->
            json(
                ex,
                200,
                Map.of(
                    "object",
                    "chat.completion",
                    "worker",
                    name,
                    "choices",
                    new Object[] {
                      Map.of("index", 0, "message", Map.of("role", "assistant", "content", "hi"))
                    })));
    handlers.put(
        "/api/generate",
        (ex, body) ->
            json(
                ex,
                200,
                Map.of(
                    "model",
                    body.path("model").asText(""),
                    "response",
                    "a cat",
                    "done",
                    true,
                    "worker",
                    name)));
    handlers.put("/query", (ex, body) -> json(ex, 200, Map.of("answer", "42", "worker", name)));
    handlers.put(
        "/extract",
        (ex, body) ->
            json(ex, 200, Map.of("entities", new Object[] {"Ada Lovelace"}, "worker", name)));
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    server.setExecutor(executor);
    server.createContext(
        "/",
        ex -> {
          try (ex) {
            hits.incrementAndGet();
            byte[] raw = ex.getRequestBody().readAllBytes();
            JsonNode body = raw.length == 0 ? JSON.createObjectNode() : JSON.readTree(raw);
            String path = ex.getRequestURI().getPath();
            received.add(new Received(path, ex.getRequestURI().getRawQuery(), body));
            Handler h = handlers.get(path);
            if (h == null) {
              json(ex, 404, Map.of("detail", "Not Found"));
            } else {
              h.handle(ex, body);
            }
          } catch (IOException e) {
            throw e;
          } catch (Exception e) {
            throw new IOException(e);
          }
        });
    server.start();
  }

  int port() {
    return server.getAddress().getPort();
  }

  String url() {
    return "http://127.0.0.1:" + port();
  }

  StubWorker on(String path, Handler handler) {
    handlers.put(path, handler);
    return this;
  }

  /** Stops at once: the listener and every open connection are closed, in-flight work is lost. */
  void kill() {
    server.stop(0);
  }

  static void json(HttpExchange ex, int status, Object body) throws IOException {
    byte[] bytes = JSON.writeValueAsBytes(body);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  /** Starts a chunked answer of {@code type}; write chunks with {@link #chunk}. */
  static OutputStream startStream(HttpExchange ex, String type) throws IOException {
    ex.getResponseHeaders().set("Content-Type", type);
    ex.sendResponseHeaders(200, 0);
    return ex.getResponseBody();
  }

  static void chunk(OutputStream out, String text) throws IOException {
    out.write(text.getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
