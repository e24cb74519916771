package io.rma.coordinator.http;

import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.rma.coordinator.api.v1alpha1.RMAWorkerSpec;
import io.rma.coordinator.api.v1alpha1.WorkerMode;
import io.rma.coordinator.api.v1alpha1.WorkerPhase;
import io.rma.coordinator.pool.Pool;
import io.rma.coordinator.pool.ServiceCatalogue;
import io.rma.coordinator.pool.ServiceCatalogue.ServiceDefinition;
import io.rma.coordinator.pool.WorkerView;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * An OpenAI-compatible API under {@code /v1}, routed like the llm route, so OpenAI SDKs can use the
 * coordinator as their base URL: {@code POST /v1/completions}, {@code POST /v1/chat/completions}
 * (both streaming with {@code "stream": true}) and {@code GET /v1/models}. Bodies go to the worker
 * unchanged, at the same path under the OpenAI prefix of the llm service's catalogue path ({@code
 * /v1/completions} gives {@code /v1}).
 */
public final class OpenAiService implements HttpService {
  private static final String LLM_SERVICE = "vllm";

  private final Pool pool;
  private final ServiceCatalogue catalogue;
  private final InferenceRouting.OnHelidon onHelidon;

  OpenAiService(Pool pool, ServiceCatalogue catalogue, InferenceRouting.OnHelidon onHelidon) {
    this.pool = pool;
    this.catalogue = catalogue;
    this.onHelidon = onHelidon;
  }

  @Override
  public void routing(HttpRules rules) {
    rules
        .post("/completions", onHelidon.handler(this::completions))
        .post("/chat/completions", onHelidon.handler(this::chat))
        .get("/models", (req, res) -> models(new HelidonExchange(req, res)));
  }

  Router.Call completions(byte[] raw, Exchange ex) {
    return call(raw, "openai-completions", "/completions");
  }

  Router.Call chat(byte[] raw, Exchange ex) {
    return call(raw, "openai-chat", "/chat/completions");
  }

  private Router.Call call(byte[] raw, String route, String suffix) {
    ServiceDefinition service = InferenceService.service(catalogue, LLM_SERVICE, route);
    InferenceBodies.Peek body = InferenceBodies.peek(raw);
    return Router.Call.json(
        route, service, body.model(), openAiPrefix(service.path()) + suffix, raw, body.stream());
  }

  /** {@code /v1/completions} gives {@code /v1}; a path not ending in /completions gives /v1. */
  public static String openAiPrefix(String path) {
    String p = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    return p.endsWith("/completions")
        ? p.substring(0, p.length() - "/completions".length())
        : "/v1";
  }

  /** The union of the models that the LLM workers able to take requests now advertise. */
  void models(Exchange ex) {
    TreeSet<String> models = new TreeSet<>();
    for (WorkerView w : pool.workersRunning(LLM_SERVICE)) {
      RMAWorkerSpec spec = w.worker().getSpec();
      boolean serving =
          (w.phase() == WorkerPhase.Healthy || w.phase() == WorkerPhase.Degraded)
              && spec != null
              && spec.getMode() != WorkerMode.pull;
      if (serving) {
        models.addAll(w.models());
      }
    }
    List<Map<String, Object>> data =
        models.stream()
            .map(
                m -> {
                  Map<String, Object> entry = new LinkedHashMap<>();
                  entry.put("id", m);
                  entry.put("object", "model");
                  entry.put("created", 0);
                  entry.put("owned_by", "rma-coordinator");
                  return entry;
                })
            .toList();
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("object", "list");
    answer.put("data", data);
    JsonBodies.send(ex, 200, answer);
  }
}
