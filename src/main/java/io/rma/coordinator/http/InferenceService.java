package io.rma.coordinator.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.rma.coordinator.pool.ServiceCatalogue;
import io.rma.coordinator.pool.ServiceCatalogue.ServiceDefinition;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The inference API of the original service, under {@code /api/inference}: {@code /llm} (vLLM,
 * OpenAI completions), {@code /vision} (Ollama {@code /api/generate}), {@code /rag/query} and
 * {@code /graph/extract}. Service names are fixed by the product; the worker-side path, port and
 * whether a request may be retried come from the service catalogue.
 */
public final class InferenceService implements HttpService {
  static final int DEFAULT_MAX_TOKENS = 512;
  static final double DEFAULT_TEMPERATURE = 0.7;

  private static final Set<String> MOVED_TO_OPTIONS =
      Set.of("max_tokens", "temperature", "options", "stream");

  private final ServiceCatalogue catalogue;
  private final InferenceRouting.OnHelidon onHelidon;

  InferenceService(ServiceCatalogue catalogue, InferenceRouting.OnHelidon onHelidon) {
    this.catalogue = catalogue;
    this.onHelidon = onHelidon;
  }

  @Override
  public void routing(HttpRules rules) {
    rules
        .post("/llm", onHelidon.handler(this::llm))
        .post("/vision", onHelidon.handler(this::vision))
        .post("/rag/query", onHelidon.handler(this::rag))
        .post("/graph/extract", onHelidon.handler(this::graph));
  }

  /** {@code {"model", "prompt", "max_tokens": 512, "temperature": 0.7, ...}} to /v1/completions. */
  Router.Call llm(byte[] raw, Exchange ex) {
    ServiceDefinition service = service(catalogue, "vllm", "llm");
    ObjectNode body = InferenceBodies.object(raw);
    InferenceBodies.requirePrompt(body);
    String model = InferenceBodies.text(body, "model");
    boolean stream = InferenceBodies.flag(body, "stream");
    body.put("max_tokens", InferenceBodies.positiveInt(body, "max_tokens", DEFAULT_MAX_TOKENS));
    body.put("temperature", InferenceBodies.number(body, "temperature", DEFAULT_TEMPERATURE));
    return Router.Call.json(
        "llm", service, model, service.path(), InferenceBodies.bytes(body), stream);
  }

  /**
   * The same body to Ollama's {@code /api/generate}: {@code {"model", "prompt", "images", "stream":
   * false, "options": {"num_predict", "temperature"}}}; other Ollama fields ({@code system}, {@code
   * format}, {@code keep_alive}, ...) pass through.
   */
  Router.Call vision(byte[] raw, Exchange ex) {
    ServiceDefinition service = service(catalogue, "vision", "vision");
    ObjectNode in = InferenceBodies.object(raw);
    InferenceBodies.requiredText(in, "prompt", " (a non-empty string)");
    String model = InferenceBodies.text(in, "model");
    boolean stream = InferenceBodies.flag(in, "stream");
    JsonNode images = in.get("images");
    if (images != null && !images.isNull()) {
      if (!images.isArray()) {
        throw ApiException.unprocessable("images must be a list of base64 strings");
      }
      for (JsonNode i : images) {
        if (!i.isTextual()) {
          throw ApiException.unprocessable("images must be a list of base64 strings");
        }
      }
    }
    JsonNode givenOptions = in.get("options");
    if (givenOptions != null && !givenOptions.isNull() && !givenOptions.isObject()) {
      throw ApiException.unprocessable("options must be a JSON object");
    }
    ObjectNode out = JsonBodies.WIRE.createObjectNode();
    for (Iterator<Map.Entry<String, JsonNode>> it = in.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!MOVED_TO_OPTIONS.contains(e.getKey())) {
        out.set(e.getKey(), e.getValue());
      }
    }
    // Ollama streams NDJSON unless told not to; the original forgot this and could not parse it.
    out.put("stream", stream);
    ObjectNode options =
        givenOptions != null && givenOptions.isObject()
            ? ((ObjectNode) givenOptions).deepCopy()
            : JsonBodies.WIRE.createObjectNode();
    // An explicit max_tokens / temperature wins; else the client's own options; else the defaults.
    if (in.hasNonNull("max_tokens") || !options.has("num_predict")) {
      options.put("num_predict", InferenceBodies.positiveInt(in, "max_tokens", DEFAULT_MAX_TOKENS));
    }
    if (in.hasNonNull("temperature") || !options.has("temperature")) {
      options.put("temperature", InferenceBodies.number(in, "temperature", DEFAULT_TEMPERATURE));
    }
    out.set("options", options);
    return Router.Call.json(
        "vision", service, model, service.path(), InferenceBodies.bytes(out), stream);
  }

  /**
   * {@code /rag/query} and {@code /graph/extract}: the {@code key} field ({@code query}, {@code
   * text}) and the others as query parameters (the original's form) or as a JSON body. The worker
   * always gets a JSON body; query parameters are passed on as well, so a worker written for the
   * original's query-parameter form keeps working for clients that use it.
   */
  Router.Call rag(byte[] raw, Exchange ex) {
    return keyed(raw, ex, "rag", "rag", "query");
  }

  Router.Call graph(byte[] raw, Exchange ex) {
    return keyed(raw, ex, "graph", "ner", "text");
  }

  private Router.Call keyed(byte[] raw, Exchange ex, String route, String serviceName, String key) {
    ServiceDefinition service = service(catalogue, serviceName, route);
    ObjectNode body = InferenceBodies.object(raw);
    Map<String, List<String>> query = ex.query();
    for (Map.Entry<String, List<String>> q : query.entrySet()) {
      if (!body.has(q.getKey())) {
        body.put(q.getKey(), q.getValue().isEmpty() ? "" : q.getValue().getFirst());
      }
    }
    InferenceBodies.requiredText(body, key, " (as a query parameter or a JSON field)");
    return Router.Call.json(
        route, service, null, service.path(), query, InferenceBodies.bytes(body), false);
  }

  /** The catalogue entry of an inference service; 503 when the catalogue lacks it or its path. */
  static ServiceDefinition service(ServiceCatalogue catalogue, String name, String route) {
    return catalogue
        .find(name)
        .filter(s -> s.path() != null && !s.path().isBlank())
        .orElseThrow(
            () ->
                new ApiException(
                    503,
                    "the "
                        + route
                        + " route is not configured: the service catalogue has no inference path"
                        + " for service "
                        + name,
                    Map.of(),
                    "route_not_configured"));
  }
}
