package io.rma.coordinator.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.rma.coordinator.pool.HealthSettings;
import io.rma.coordinator.pool.ServiceCatalogue;
import io.rma.coordinator.pool.ServiceCatalogue.ServiceDefinition;
import io.rma.coordinator.pool.TierPolicy;
import io.rma.coordinator.routing.RoutingSettings;
import io.rma.coordinator.security.AddressRanges;
import io.rma.coordinator.security.SecuritySettings;
import io.rma.coordinator.security.WorkerAuthMode;
import io.rma.coordinator.tasks.TaskSettings;
import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the configuration: environment variables first ({@code PORT}, {@code DATABASE_PATH}, {@code
 * RMA_*}), then the YAML file named by {@code RMA_CONFIG_FILE} (keys in kebab case, e.g. {@code
 * offline-after: 90s}), then the defaults of DESIGN.md. A bad value stops the start with a message
 * naming the setting.
 */
public final class ConfigLoader {
  private static final Logger LOG = System.getLogger(ConfigLoader.class.getName());
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final Pattern SHORT_DURATION =
      Pattern.compile("^(\\d+)(ms|s|m|h|d)$", Pattern.CASE_INSENSITIVE);

  private static final Pattern DNS_SUBDOMAIN =
      Pattern.compile("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$");

  private static final Pattern ORIGIN =
      Pattern.compile(
          "^[A-Za-z][A-Za-z0-9+.-]*://[A-Za-z0-9.\\-]+(:[0-9]{1,5})?$|^[A-Za-z][A-Za-z0-9+.-]*://\\[[0-9A-Fa-f:.]+\\](:[0-9]{1,5})?$");

  private static final Path SERVICE_ACCOUNT_NAMESPACE =
      Path.of("/var/run/secrets/kubernetes.io/serviceaccount/namespace");

  /** Settings that no longer exist, and why: given anyway, they are a warning, not a failure. */
  private static final Map<String, String> RETIRED =
      Map.of(
          "EVENT_LOOPS",
          "inference is served by Helidon's web server alone (docs/routing.md)",
          "INFERENCE_FAST_PATH",
          "inference is served by Helidon's web server alone (docs/routing.md)",
          "TASK_RETAIN_MAX",
          "finished tasks stay for RMA_TASK_RETENTION, within the memory budget"
              + " RMA_TASK_MEMORY_MIB (docs/tasks.md)");

  private final Map<String, String> env;
  private final JsonNode file;

  private ConfigLoader(Map<String, String> env, JsonNode file) {
    this.env = env;
    this.file = file;
  }

  /** Loads from the process environment. */
  public static CoordinatorConfig fromEnvironment() {
    return load(System.getenv());
  }

  public static CoordinatorConfig load(Map<String, String> env) {
    JsonNode file = YAML.createObjectNode();
    String configFile = env.get("RMA_CONFIG_FILE");
    if (configFile != null && !configFile.isBlank()) {
      try {
        JsonNode read = YAML.readTree(Path.of(configFile).toFile());
        if (read != null && read.isObject()) {
          file = read;
        }
      } catch (IOException e) {
        throw new ConfigException("RMA_CONFIG_FILE " + configFile + ": " + e.getMessage());
      }
    }
    return new ConfigLoader(env, file).build();
  }

  private CoordinatorConfig build() {
    RETIRED.forEach(
        (name, why) -> {
          if (text(name) != null) {
            LOG.log(
                Level.WARNING, "RMA_" + name + " is no longer a setting and is ignored: " + why);
          }
        });
    Duration heartbeat =
        setting("HEARTBEAT_INTERVAL", ConfigLoader::duration, Duration.ofSeconds(30));
    Duration offline = setting("OFFLINE_AFTER", ConfigLoader::duration, heartbeat.multipliedBy(3));
    HealthSettings health =
        new HealthSettings(
            positive("HEARTBEAT_INTERVAL", heartbeat),
            positive("OFFLINE_AFTER", offline),
            positive(
                "PRUNE_AFTER",
                setting("PRUNE_AFTER", ConfigLoader::duration, Duration.ofMinutes(30))),
            setting("RESTART_GRACE", ConfigLoader::duration, offline),
            setting("MASS_STALE_MIN_POOL", Integer::parseInt, 10),
            fraction(
                "MASS_STALE_FRACTION", setting("MASS_STALE_FRACTION", Double::parseDouble, 0.55)),
            positive(
                "STATUS_KEEPALIVE",
                setting("STATUS_KEEPALIVE", ConfigLoader::duration, Duration.ofMinutes(5))));
    TierPolicy.Thresholds tiers =
        new TierPolicy.Thresholds(
            setting("TIER1_GPU_MEMORY_GIB", Double::parseDouble, 8.0),
            setting("TIER2_RAM_GIB", Double::parseDouble, 4.0),
            setting("TIER2_CPU_CORES", Integer::parseInt, 2));
    String dbPath = plain("DATABASE_PATH", "database-path");
    return new CoordinatorConfig(
        setting("PORT", "port", Integer::parseInt, 8080),
        Optional.ofNullable(dbPath).filter(s -> !s.isBlank()).map(Path::of),
        Optional.ofNullable(text("MODE"))
            .map(v -> enumValue("MODE", CoordinatorConfig.Mode.class, v)),
        Optional.ofNullable(text("NAMESPACE")).orElseGet(ConfigLoader::podNamespace),
        health,
        tiers,
        security(),
        Optional.ofNullable(text("PUBLIC_URL")).map(u -> u.replaceAll("/+$", "")),
        setting("MAX_BODY_BYTES", Long::parseLong, 1024L * 1024),
        positive(
            "LOOP_INTERVAL",
            setting("LOOP_INTERVAL", ConfigLoader::duration, Duration.ofSeconds(1))),
        catalogue(),
        setting("LEADER_ELECTION", ConfigLoader::bool, true),
        leaseName(
            Optional.ofNullable(text("LEASE_NAME")).orElse(CoordinatorConfig.DEFAULT_LEASE_NAME)),
        routing(),
        tasks(),
        enumValue(
            "LOG_FORMAT",
            CoordinatorConfig.LogFormat.class,
            Optional.ofNullable(text("LOG_FORMAT")).orElse("text")));
  }

  private SecuritySettings security() {
    WorkerAuthMode auth =
        enumValue(
            "WORKER_AUTH",
            WorkerAuthMode.class,
            Optional.ofNullable(text("WORKER_AUTH")).orElse(WorkerAuthMode.auto.name()));
    return new SecuritySettings(
        auth,
        Optional.ofNullable(text("JOIN_TOKEN")),
        Optional.ofNullable(text("ADMIN_TOKEN")),
        setting("ALLOW_LOOPBACK_WORKERS", ConfigLoader::bool, true),
        setting("ALLOW_PRIVATE_WORKERS", ConfigLoader::bool, true),
        atLeast("MAX_WORKERS", setting("MAX_WORKERS", Integer::parseInt, 10_000), 1),
        atLeast(
            "REGISTRATIONS_PER_MINUTE",
            setting("REGISTRATIONS_PER_MINUTE", Long::parseLong, 60L),
            0),
        atLeast("INFERENCE_PER_SECOND", setting("INFERENCE_PER_SECOND", Long::parseLong, 0L), 0),
        setting("TRUSTED_PROXIES", AddressRanges::parse, AddressRanges.none()),
        corsOrigins());
  }

  /**
   * {@code RMA_CORS_ORIGINS}: unset = {@code *} (any origin, as the original service allowed); a
   * comma list of origins ({@code https://dash.example.com}); set but empty, or {@code none}, =
   * CORS off ({@code none} for where an empty value cannot be set, such as the Helm chart).
   */
  private List<String> corsOrigins() {
    String raw;
    JsonNode fromFile = file.get("cors-origins");
    if (env.containsKey("RMA_CORS_ORIGINS")) {
      raw = env.get("RMA_CORS_ORIGINS");
    } else if (fromFile != null && fromFile.isArray()) {
      List<String> items = new ArrayList<>();
      fromFile.forEach(n -> items.add(n.asText()));
      raw = String.join(",", items);
    } else if (fromFile != null && !fromFile.isNull()) {
      raw = fromFile.asText();
    } else {
      return List.of("*");
    }
    List<String> origins = new ArrayList<>();
    if (raw.strip().equalsIgnoreCase("none")) {
      return origins;
    }
    for (String part : raw.split(",")) {
      String o = part.strip();
      if (o.isEmpty()) {
        continue;
      }
      if (!o.equals("*")) {
        o = o.replaceAll("/+$", "");
        if (!ORIGIN.matcher(o).matches()) {
          throw new ConfigException(
              "RMA_CORS_ORIGINS: '"
                  + part.strip()
                  + "' is not an origin such as https://dashboard.example.com or"
                  + " http://localhost:3000 (scheme, host and port only)");
        }
        o = o.toLowerCase(Locale.ROOT);
      }
      if (!origins.contains(o)) {
        origins.add(o);
      }
    }
    if (origins.contains("*") && origins.size() > 1) {
      throw new ConfigException(
          "RMA_CORS_ORIGINS: '*' allows every origin; list origins or give '*' alone");
    }
    return origins;
  }

  /** A Lease is named like any object: a DNS-1123 subdomain. */
  private static String leaseName(String name) {
    if (name.length() > 253 || !DNS_SUBDOMAIN.matcher(name).matches()) {
      throw new ConfigException(
          "RMA_LEASE_NAME=" + name + " is not a valid object name (lower case, digits, '-', '.')");
    }
    return name;
  }

  private static boolean bool(String v) {
    return switch (v.trim().toLowerCase(Locale.ROOT)) {
      case "true", "yes", "1", "on" -> true;
      case "false", "no", "0", "off" -> false;
      default -> throw new IllegalArgumentException("expected true or false");
    };
  }

  private static <N extends Number> N atLeast(String name, N v, long min) {
    if (v.longValue() < min) {
      throw new ConfigException("RMA_" + name + " must be at least " + min);
    }
    return v;
  }

  /** Inside a pod, the pod's own namespace (from its service account); elsewhere "default". */
  private static String podNamespace() {
    try {
      return Files.readString(SERVICE_ACCOUNT_NAMESPACE).trim();
    } catch (IOException | RuntimeException e) {
      return "default";
    }
  }

  private RoutingSettings routing() {
    RoutingSettings d = RoutingSettings.defaults();
    long maxInferenceBody =
        atLeastOne(
            "MAX_INFERENCE_BODY_BYTES",
            setting("MAX_INFERENCE_BODY_BYTES", Long::parseLong, d.maxBodyBytes()));
    return new RoutingSettings(
        fraction("LOAD_CEILING", setting("LOAD_CEILING", Double::parseDouble, d.loadCeiling())),
        positive(
            "UPSTREAM_CONNECT_TIMEOUT",
            setting("UPSTREAM_CONNECT_TIMEOUT", ConfigLoader::duration, d.connectTimeout())),
        positive(
            "UPSTREAM_TIMEOUT",
            setting("UPSTREAM_TIMEOUT", ConfigLoader::duration, d.upstreamTimeout())),
        maxInferenceBody,
        (int)
            atLeastOne(
                "ROUTE_ATTEMPTS", setting("ROUTE_ATTEMPTS", Integer::parseInt, d.attempts())),
        (int)
            atLeastOne(
                "EJECT_AFTER_FAILURES",
                setting("EJECT_AFTER_FAILURES", Integer::parseInt, d.ejectAfterFailures())),
        positive("EJECT_FOR", setting("EJECT_FOR", ConfigLoader::duration, d.ejectFor())),
        inflightBodyBytes(maxInferenceBody),
        positive("BODY_TIMEOUT", setting("BODY_TIMEOUT", ConfigLoader::duration, d.bodyTimeout())),
        positive("HEAD_TIMEOUT", setting("HEAD_TIMEOUT", ConfigLoader::duration, d.headTimeout())));
  }

  /**
   * {@code RMA_INFLIGHT_BODY_BYTES}: 0 or unset for the default (a quarter of the heap), else at
   * least the largest inference body.
   */
  private long inflightBodyBytes(long maxInferenceBody) {
    long v = setting("INFLIGHT_BODY_BYTES", Long::parseLong, 0L);
    if (v != 0 && v < maxInferenceBody) {
      throw new ConfigException(
          "RMA_INFLIGHT_BODY_BYTES must be 0 (the default: a quarter of the heap) or at least"
              + " RMA_MAX_INFERENCE_BODY_BYTES ("
              + maxInferenceBody
              + ")");
    }
    return v;
  }

  /** The pull-worker task queue: {@code RMA_TASK_*}. */
  private TaskSettings tasks() {
    TaskSettings d = TaskSettings.defaults();
    try {
      return new TaskSettings(
          atLeastOne(
              "TASK_QUEUE_CAPACITY",
              setting("TASK_QUEUE_CAPACITY", Integer::parseInt, d.queueCapacity())),
          atLeastOne(
              "TASK_MAX_ATTEMPTS",
              setting("TASK_MAX_ATTEMPTS", Integer::parseInt, d.maxAttempts())),
          positive("TASK_LEASE", setting("TASK_LEASE", ConfigLoader::duration, d.lease())),
          positive(
              "TASK_MAX_LEASE", setting("TASK_MAX_LEASE", ConfigLoader::duration, d.maxLease())),
          positive(
              "TASK_QUEUE_TIMEOUT",
              setting("TASK_QUEUE_TIMEOUT", ConfigLoader::duration, d.queueTimeout())),
          positive(
              "TASK_RETENTION", setting("TASK_RETENTION", ConfigLoader::duration, d.retention())),
          positive(
              "TASK_RESULT_WAIT",
              setting("TASK_RESULT_WAIT", ConfigLoader::duration, d.resultWait())),
          positive(
              "TASK_MAX_POLL_WAIT",
              setting("TASK_MAX_POLL_WAIT", ConfigLoader::duration, d.maxPollWait())),
          atLeastOne(
              "TASK_MAX_POLL_BATCH",
              setting("TASK_MAX_POLL_BATCH", Integer::parseInt, d.maxPollBatch())),
          positive(
              "TASK_RETRY_AFTER",
              setting("TASK_RETRY_AFTER", ConfigLoader::duration, d.retryAfter())),
          1024L
              * 1024
              * atLeastOne(
                  "TASK_MEMORY_MIB",
                  setting(
                      "TASK_MEMORY_MIB", Integer::parseInt, (int) (d.maxBytes() / (1024 * 1024)))));
    } catch (IllegalArgumentException e) {
      throw new ConfigException("task settings: " + e.getMessage());
    }
  }

  private static int atLeastOne(String name, int v) {
    return (int) atLeastOne(name, (long) v);
  }

  private static long atLeastOne(String name, long v) {
    if (v < 1) {
      throw new ConfigException("RMA_" + name + " must be at least 1");
    }
    return v;
  }

  /** The catalogue: RMA_SERVICE_CATALOGUE (a YAML file), else the config file's, else built in. */
  private ServiceCatalogue catalogue() {
    JsonNode services = file.get("services");
    String path = env.get("RMA_SERVICE_CATALOGUE");
    try {
      if (path != null && !path.isBlank()) {
        services = YAML.readTree(Path.of(path).toFile()).get("services");
      } else if (services == null) {
        try (InputStream in = ConfigLoader.class.getResourceAsStream("/service-catalogue.yaml")) {
          services = YAML.readTree(in).get("services");
        }
      }
    } catch (IOException e) {
      throw new ConfigException("service catalogue: " + e.getMessage());
    }
    if (services == null || !services.isArray()) {
      throw new ConfigException("service catalogue: expected a list under 'services'");
    }
    List<ServiceDefinition> defs = new ArrayList<>();
    for (JsonNode s : services) {
      String name = s.path("name").asText(null);
      if (name == null || name.isBlank() || !s.path("tier").canConvertToInt()) {
        throw new ConfigException("service catalogue: every service needs a name and a tier");
      }
      Map<String, String> envVars = new LinkedHashMap<>();
      s.path("env").fields().forEachRemaining(e -> envVars.put(e.getKey(), e.getValue().asText()));
      defs.add(
          new ServiceDefinition(
              name,
              s.path("tier").asInt(),
              s.path("image").asText(""),
              s.path("port").asInt(0),
              envVars,
              s.hasNonNull("path") ? s.get("path").asText() : null,
              s.path("idempotent").asBoolean(false)));
    }
    try {
      return new ServiceCatalogue(defs);
    } catch (IllegalArgumentException e) {
      throw new ConfigException("service catalogue: " + e.getMessage());
    }
  }

  private <T> T setting(String name, Function<String, T> parse, T fallback) {
    return setting("RMA_" + name, name.toLowerCase(Locale.ROOT).replace('_', '-'), parse, fallback);
  }

  private <T> T setting(String envName, String fileKey, Function<String, T> parse, T fallback) {
    String raw = plain(envName, fileKey);
    if (raw == null || raw.isBlank()) {
      return fallback;
    }
    try {
      return parse.apply(raw.trim());
    } catch (RuntimeException e) {
      throw new ConfigException(envName + "=" + raw + " is not valid: " + e.getMessage());
    }
  }

  private String text(String name) {
    String v = plain("RMA_" + name, name.toLowerCase(Locale.ROOT).replace('_', '-'));
    return v == null || v.isBlank() ? null : v.trim();
  }

  private String plain(String envName, String fileKey) {
    String v = env.get(envName);
    if (v != null) {
      return v;
    }
    JsonNode n = file.get(fileKey);
    return n == null || n.isNull() ? null : n.asText();
  }

  /**
   * {@code 90s}, {@code 5m}, {@code 250ms}, {@code 1h}, {@code 2d}, or ISO-8601 ({@code PT90S}).
   */
  static Duration duration(String text) {
    Matcher m = SHORT_DURATION.matcher(text.trim());
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      return switch (m.group(2).toLowerCase(Locale.ROOT)) {
        case "ms" -> Duration.ofMillis(n);
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        case "h" -> Duration.ofHours(n);
        default -> Duration.ofDays(n);
      };
    }
    try {
      return Duration.parse(text.trim().toUpperCase(Locale.ROOT));
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("expected a duration like 90s, 5m or PT90S");
    }
  }

  private static Duration positive(String name, Duration d) {
    if (d.isNegative() || d.isZero()) {
      throw new ConfigException("RMA_" + name + " must be positive");
    }
    return d;
  }

  private static double fraction(String name, double v) {
    if (!(v > 0 && v <= 1)) {
      throw new ConfigException("RMA_" + name + " must be in (0, 1]");
    }
    return v;
  }

  private static <E extends Enum<E>> E enumValue(String name, Class<E> type, String v) {
    try {
      return Enum.valueOf(type, v.trim().toLowerCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new ConfigException(
          "RMA_" + name + "=" + v + " is not one of " + List.of(type.getEnumConstants()));
    }
  }

  /** A setting is missing or malformed; the coordinator does not start. */
  public static final class ConfigException extends RuntimeException {
    public ConfigException(String message) {
      super(message);
    }
  }
}
