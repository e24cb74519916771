package io.rma.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.helidon.http.Method;
import io.helidon.webserver.http.HttpRouting;
import io.rma.coordinator.config.ConfigLoader;
import io.rma.coordinator.http.RouteRecorder.Operation;
import io.rma.coordinator.runtime.Coordinator;
import io.rma.coordinator.testing.CoordinatorFixture;
import io.rma.coordinator.testing.MutableClock;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The OpenAPI document and the real routing agree: every route {@link Coordinator#routing}
 * registers takes some documented operation, and every documented operation is served. Routes are
 * taken from the routing itself (through {@link RouteRecorder}), so a route added anywhere under it
 * fails this test until it is documented in {@code src/main/resources/openapi.yaml}.
 */
class OpenApiDocumentTest {
  private static final Set<String> METHODS = Set.of("get", "post", "put", "delete", "patch");

  /**
   * Routes the server's features add outside {@code routing()} (observe): checked by calling them.
   */
  private static final String FEATURE_PREFIX = "/observe/";

  private CoordinatorFixture api;

  @BeforeEach
  void start() {
    api = new CoordinatorFixture(Map.of(), MutableClock.at("2026-01-01T00:00:00Z"));
  }

  @AfterEach
  void stop() {
    api.close();
  }

  static JsonNode document() {
    try {
      return new ObjectMapper().readTree(new DocsService(Coordinator.VERSION).json());
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
  }

  /** Every documented operation, its path parameters filled in. */
  static List<Operation> operations(JsonNode doc) {
    List<Operation> ops = new ArrayList<>();
    doc.get("paths")
        .fields()
        .forEachRemaining(
            p -> {
              String path = p.getKey().replaceAll("\\{[^}]+}", "x1");
              p.getValue()
                  .fieldNames()
                  .forEachRemaining(
                      m -> {
                        if (METHODS.contains(m)) {
                          ops.add(new Operation(Method.create(m.toUpperCase(Locale.ROOT)), path));
                        }
                      });
            });
    return ops;
  }

  private RouteRecorder recordRouting(java.util.function.Consumer<HttpRouting.Builder> extra) {
    RouteRecorder recorder = new RouteRecorder();
    HttpRouting.Builder routing = recorder.wrap(HttpRouting.builder());
    try (Coordinator c = Coordinator.standalone(ConfigLoader.load(Map.of()), Clock.systemUTC())) {
      c.routing(routing);
      extra.accept(routing);
      routing.build();
    }
    return recorder;
  }

  @Test
  void everyRouteTheServerRegistersIsDocumented() {
    RouteRecorder recorder = recordRouting(r -> {});
    assertThat(recorder.routes()).as("routes recorded").hasSizeGreaterThan(20);
    assertThat(recorder.notAccepting(operations(document())))
        .as("routes missing from src/main/resources/openapi.yaml")
        .isEmpty();
  }

  @Test
  void aRouteAddedWithoutDocumentingItFailsTheCheck() {
    RouteRecorder recorder =
        recordRouting(
            routing ->
                routing
                    .get("/api/undocumented", (req, res) -> res.send())
                    .register(
                        "/api/extra",
                        rules -> rules.delete("/things/{id}", (req, res) -> res.send())));
    assertThat(recorder.notAccepting(operations(document())))
        .extracting(Object::toString)
        .hasSize(2)
        .anyMatch(s -> s.contains("/api/undocumented"))
        .anyMatch(s -> s.startsWith("under /api/extra: DELETE") && s.contains("/things/"));
  }

  @Test
  void everyDocumentedOperationIsServed() throws Exception {
    RouteRecorder recorder = recordRouting(r -> {});
    List<String> unserved = new ArrayList<>();
    for (Operation op : operations(document())) {
      boolean routed = recorder.routes().stream().anyMatch(r -> r.accepts(op.method(), op.path()));
      if (op.path().startsWith(FEATURE_PREFIX)) {
        HttpResponse<String> r =
            api.http.send(
                HttpRequest.newBuilder(URI.create(api.url(op.path())))
                    .method(op.method().text(), HttpRequest.BodyPublishers.noBody())
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        routed = r.statusCode() != 404;
      }
      if (!routed) {
        unserved.add(op.toString());
      }
    }
    assertThat(unserved).as("documented but not served").isEmpty();
  }

  @Test
  void everyReferenceInTheDocumentResolves() {
    JsonNode doc = document();
    assertThat(doc.get("openapi").asText()).startsWith("3.");
    List<String> broken = new ArrayList<>();
    Matcher m = Pattern.compile("\"\\$ref\":\"(#[^\"]+)\"").matcher(doc.toString());
    while (m.find()) {
      if (doc.at(m.group(1).substring(1)).isMissingNode()) {
        broken.add(m.group(1));
      }
    }
    assertThat(broken).isEmpty();
    doc.get("paths")
        .fields()
        .forEachRemaining(
            p ->
                p.getValue()
                    .fields()
                    .forEachRemaining(
                        op -> {
                          if (METHODS.contains(op.getKey())) {
                            assertThat(op.getValue().has("operationId"))
                                .as(op.getKey() + " " + p.getKey())
                                .isTrue();
                            assertThat(op.getValue().has("responses")).isTrue();
                          }
                        }));
  }

  @Test
  void theDocumentIsServedAsJsonAndYamlAndBrowsableAtDocs() throws Exception {
    CoordinatorFixture.Answer json = api.get("/openapi.json");
    assertThat(json.status()).isEqualTo(200);
    assertThat(json.json().get("info").get("version").asText()).isEqualTo(Coordinator.VERSION);
    assertThat(json.json().get("paths").has("/api/worker/register")).isTrue();

    CoordinatorFixture.Answer yaml = api.get("/openapi.yaml");
    assertThat(yaml.status()).isEqualTo(200);
    assertThat(new ObjectMapper(new YAMLFactory()).readTree(yaml.body())).isEqualTo(json.json());
    assertThat(api.get("/openapi").body()).isEqualTo(yaml.body());
    assertThat(api.get("/openapi?format=json").json()).isEqualTo(json.json());
    HttpResponse<String> accept =
        api.http.send(
            HttpRequest.newBuilder(URI.create(api.url("/openapi")))
                .header("Accept", "application/json")
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(accept.headers().firstValue("Content-Type").orElseThrow())
        .startsWith("application/json");
    assertThat(api.get("/openapi?format=xml").status()).isEqualTo(400);

    HttpResponse<String> page =
        api.http.send(
            HttpRequest.newBuilder(URI.create(api.url("/docs"))).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/html");
    assertThat(page.body()).contains("SwaggerUIBundle").contains("\"/openapi.json\"");
    // Every script and style the page loads is served, with its type.
    Matcher assets = Pattern.compile("(?:src|href)=\"(/docs/[^\"]+)\"").matcher(page.body());
    int n = 0;
    while (assets.find()) {
      HttpResponse<byte[]> asset =
          api.http.send(
              HttpRequest.newBuilder(URI.create(api.url(assets.group(1)))).build(),
              HttpResponse.BodyHandlers.ofByteArray());
      assertThat(asset.statusCode()).as(assets.group(1)).isEqualTo(200);
      assertThat(asset.body().length).as(assets.group(1)).isGreaterThan(100);
      String type = asset.headers().firstValue("Content-Type").orElse("");
      if (assets.group(1).endsWith(".js")) {
        assertThat(type).as(assets.group(1)).contains("javascript");
      } else if (assets.group(1).endsWith(".css")) {
        assertThat(type).as(assets.group(1)).contains("text/css");
      }
      n++;
    }
    assertThat(n).isGreaterThanOrEqualTo(3);
    assertThat(api.get("/docs/swagger-ui/no-such-file.js").status()).isEqualTo(404);
  }
}
