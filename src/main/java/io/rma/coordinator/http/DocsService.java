package io.rma.coordinator.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.helidon.common.media.type.MediaTypes;
import io.helidon.http.HeaderNames;
import io.helidon.http.HttpMediaType;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.helidon.webserver.staticcontent.ClasspathHandlerConfig;
import io.helidon.webserver.staticcontent.StaticContentFeature;
import io.helidon.webserver.staticcontent.TemporaryStorage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;

/**
 * The API's OpenAPI 3 document ({@code src/main/resources/openapi.yaml}, written by hand) at {@code
 * /openapi.json}, {@code /openapi.yaml} and {@code /openapi}, and a browsable page at {@code
 * /docs}: Swagger UI from its webjar (org.webjars:swagger-ui), served by Helidon's static content
 * support, pointed at {@code /openapi.json} by a page of our own.
 *
 * <p>Helidon's OpenAPI support (helidon-openapi 4.5.0) serves a static file too, but as a server
 * feature wired on the WebServer rather than in routing, and its UI integration is not published at
 * 4.5.0.
 */
public final class DocsService implements HttpService {
  /** Where the UI's scripts and styles are served. */
  static final String ASSETS = "/docs/swagger-ui";

  private static final String WEBJAR_POM = "META-INF/maven/org.webjars/swagger-ui/pom.properties";
  private static final HttpMediaType YAML = HttpMediaType.create("application/yaml");
  private static final HttpMediaType JSON =
      HttpMediaType.create(MediaTypes.APPLICATION_JSON).withCharset("UTF-8");

  private final byte[] yaml;
  private final byte[] json;
  private final Optional<String> swaggerUiVersion;

  /**
   * @param version the coordinator's version, written into the document's {@code info}
   */
  public DocsService(String version) {
    ObjectMapper yamlMapper = new ObjectMapper(new YAMLFactory());
    try (InputStream in = resource("openapi.yaml")) {
      if (in == null) {
        throw new IllegalStateException("openapi.yaml is missing from the class path");
      }
      String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      JsonNode doc = yamlMapper.readTree(text);
      ((ObjectNode) doc.get("info")).put("version", version);
      this.json = new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(doc);
      this.yaml =
          text.replaceFirst("(?m)^(  version: ).*$", "$1" + version)
              .getBytes(StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read openapi.yaml", e);
    }
    this.swaggerUiVersion = webjarVersion();
  }

  /** The document as JSON (what {@code /openapi.json} answers). */
  public byte[] json() {
    return json.clone();
  }

  @Override
  public void routing(HttpRules rules) {
    rules
        .get("/openapi.json", (req, res) -> send(res, JSON, json))
        .get("/openapi.yaml", (req, res) -> send(res, YAML, yaml))
        .get("/openapi", this::negotiated)
        .get("/docs", this::page);
    swaggerUiVersion.ifPresent(
        v ->
            rules.register(
                ASSETS,
                StaticContentFeature.createService(
                    ClasspathHandlerConfig.builder()
                        .location("META-INF/resources/webjars/swagger-ui/" + v)
                        // Streamed from the jar: nothing written to a (possibly read-only) disk.
                        .temporaryStorage(TemporaryStorage.create(t -> t.enabled(false)))
                        .build())));
  }

  /** YAML, unless {@code ?format=json} or the client accepts JSON and not YAML. */
  private void negotiated(ServerRequest req, ServerResponse res) {
    String format =
        req.query().first("format").asOptional().orElse("").toLowerCase(Locale.ROOT).strip();
    boolean wantsJson =
        format.equals("json")
            || (format.isEmpty()
                && req.headers().isAccepted(MediaTypes.APPLICATION_JSON)
                && !req.headers().isAccepted(MediaTypes.APPLICATION_YAML)
                && !req.headers().acceptedTypes().isEmpty());
    if (!format.isEmpty() && !format.equals("json") && !format.equals("yaml")) {
      throw ApiException.badRequest("format must be json or yaml");
    }
    if (wantsJson) {
      send(res, JSON, json);
    } else {
      send(res, YAML, yaml);
    }
  }

  private void page(ServerRequest req, ServerResponse res) {
    if (swaggerUiVersion.isEmpty()) {
      throw ApiException.notFound(
          "the API browser (Swagger UI) is not packaged; see /openapi.json");
    }
    String html =
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
          <meta charset="utf-8">
          <title>RMA Coordinator API</title>
          <link rel="stylesheet" href="%1$s/swagger-ui.css">
          <link rel="icon" type="image/png" href="%1$s/favicon-32x32.png">
        </head>
        <body>
          <div id="swagger-ui"></div>
          <script src="%1$s/swagger-ui-bundle.js"></script>
          <script src="%1$s/swagger-ui-standalone-preset.js"></script>
          <script>
            window.ui = SwaggerUIBundle({
              url: "/openapi.json",
              dom_id: "#swagger-ui",
              deepLinking: true,
              presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
              layout: "StandaloneLayout"
            });
          </script>
        </body>
        </html>
        """
            .formatted(ASSETS);
    send(
        res,
        HttpMediaType.create(MediaTypes.TEXT_HTML).withCharset("UTF-8"),
        html.getBytes(StandardCharsets.UTF_8));
  }

  private static void send(ServerResponse res, HttpMediaType type, byte[] body) {
    res.header(HeaderNames.CONTENT_TYPE, type.text());
    res.header(HeaderNames.CACHE_CONTROL, "no-cache");
    res.send(body);
  }

  private static Optional<String> webjarVersion() {
    try (InputStream in = resource(WEBJAR_POM)) {
      if (in == null) {
        return Optional.empty();
      }
      Properties p = new Properties();
      p.load(in);
      return Optional.ofNullable(p.getProperty("version"));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static InputStream resource(String name) {
    return DocsService.class.getClassLoader().getResourceAsStream(name);
  }
}
