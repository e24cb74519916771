package io.rma.coordinator.runtime;

import io.rma.coordinator.config.CoordinatorConfig.Mode;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Which mode to run in, and why (the reason is logged at start):
 *
 * <ol>
 *   <li>{@code --kubernetes} or {@code --standalone} on the command line;
 *   <li>{@code RMA_MODE} (environment or config file);
 *   <li>inside a pod ({@code KUBERNETES_SERVICE_HOST} set and a service account token mounted):
 *       Kubernetes;
 *   <li>{@code KUBECONFIG} set: Kubernetes, against that cluster;
 *   <li>otherwise standalone. A {@code ~/.kube/config} alone does not switch a laptop run to
 *       Kubernetes mode.
 * </ol>
 */
public record ModeSelection(Mode mode, String reason) {
  public static final Path SERVICE_ACCOUNT_TOKEN =
      Path.of("/var/run/secrets/kubernetes.io/serviceaccount/token");

  public static ModeSelection select(
      Optional<Mode> configured,
      List<String> args,
      Map<String, String> env,
      Predicate<Path> exists) {
    if (args.contains("--kubernetes")) {
      return new ModeSelection(Mode.kubernetes, "--kubernetes flag");
    }
    if (args.contains("--standalone")) {
      return new ModeSelection(Mode.standalone, "--standalone flag");
    }
    if (configured.isPresent()) {
      return new ModeSelection(configured.get(), "RMA_MODE=" + configured.get());
    }
    if (inCluster(env, exists)) {
      return new ModeSelection(Mode.kubernetes, "running in a pod (service account mounted)");
    }
    String kubeconfig = env.get("KUBECONFIG");
    if (kubeconfig != null && !kubeconfig.isBlank()) {
      return new ModeSelection(Mode.kubernetes, "KUBECONFIG=" + kubeconfig);
    }
    return new ModeSelection(Mode.standalone, "no cluster configured");
  }

  /** A pod with a service account: the client will find the API server and its credentials. */
  public static boolean inCluster(Map<String, String> env, Predicate<Path> exists) {
    String host = env.get("KUBERNETES_SERVICE_HOST");
    return host != null && !host.isBlank() && exists.test(SERVICE_ACCOUNT_TOKEN);
  }
}
