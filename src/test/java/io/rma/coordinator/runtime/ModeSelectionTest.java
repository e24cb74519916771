package io.rma.coordinator.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.rma.coordinator.config.CoordinatorConfig.Mode;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

class ModeSelectionTest {
  private static final Predicate<Path> TOKEN_MOUNTED = p -> true;
  private static final Predicate<Path> NO_TOKEN = p -> false;
  private static final Map<String, String> POD = Map.of("KUBERNETES_SERVICE_HOST", "10.96.0.1");

  @Test
  void standaloneWhenNoClusterIsConfigured() {
    assertThat(ModeSelection.select(Optional.empty(), List.of(), Map.of(), NO_TOKEN).mode())
        .isEqualTo(Mode.standalone);
  }

  @Test
  void kubernetesInsideAPodWithAServiceAccount() {
    assertThat(ModeSelection.select(Optional.empty(), List.of(), POD, TOKEN_MOUNTED).mode())
        .isEqualTo(Mode.kubernetes);
    // The service host alone (e.g. a sidecar-less test container) is not enough.
    assertThat(ModeSelection.select(Optional.empty(), List.of(), POD, NO_TOKEN).mode())
        .isEqualTo(Mode.standalone);
  }

  @Test
  void kubernetesWhenAKubeconfigIsNamed() {
    ModeSelection s =
        ModeSelection.select(
            Optional.empty(), List.of(), Map.of("KUBECONFIG", "/home/me/kind.yaml"), NO_TOKEN);
    assertThat(s.mode()).isEqualTo(Mode.kubernetes);
    assertThat(s.reason()).contains("kind.yaml");
  }

  @Test
  void rmaModeWinsOverDetectionAndFlagsWinOverRmaMode() {
    assertThat(
            ModeSelection.select(Optional.of(Mode.standalone), List.of(), POD, TOKEN_MOUNTED)
                .mode())
        .isEqualTo(Mode.standalone);
    assertThat(
            ModeSelection.select(Optional.of(Mode.kubernetes), List.of(), Map.of(), NO_TOKEN)
                .mode())
        .isEqualTo(Mode.kubernetes);
    assertThat(
            ModeSelection.select(
                    Optional.of(Mode.standalone), List.of("--kubernetes"), Map.of(), NO_TOKEN)
                .mode())
        .isEqualTo(Mode.kubernetes);
    assertThat(
            ModeSelection.select(Optional.empty(), List.of("--standalone"), POD, TOKEN_MOUNTED)
                .mode())
        .isEqualTo(Mode.standalone);
  }
}
