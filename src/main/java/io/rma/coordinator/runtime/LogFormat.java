package io.rma.coordinator.runtime;

import io.rma.coordinator.config.CoordinatorConfig;
import java.util.Locale;
import org.apache.logging.log4j.jul.Log4jBridgeHandler;

/**
 * {@code RMA_LOG_FORMAT}: {@code text} (the default: one line per record, Helidon's console
 * handler) or {@code json} (one JSON object per line for log collectors: Log4j's JSON Template
 * Layout with Elastic Common Schema fields, fed by Log4j's bridge handler on the root
 * java.util.logging logger, so System.Logger and SLF4J records come too). Log4j is loaded only in
 * json mode.
 */
final class LogFormat {
  private static final String CONFIG = "rma-log4j2-json.xml";

  private LogFormat() {}

  static void apply(CoordinatorConfig.LogFormat format) {
    if (format != CoordinatorConfig.LogFormat.json) {
      return;
    }
    System.setProperty("log4j2.configurationFile", CONFIG);
    // Our own shutdown hook logs the stop; Log4j's would have stopped the appender first.
    System.setProperty("log4j2.shutdownHookEnabled", "false");
    // Root handlers replaced; JUL's levels (logging.properties) stay the filter.
    Log4jBridgeHandler.install(true, null, false);
  }

  /**
   * Before the configuration is loaded (to report that it failed): json when the environment asks
   * for it.
   */
  static void applyFromEnvironment(String value) {
    if (value != null && value.trim().toLowerCase(Locale.ROOT).equals("json")) {
      apply(CoordinatorConfig.LogFormat.json);
    }
  }
}
