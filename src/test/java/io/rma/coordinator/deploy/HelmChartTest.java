package io.rma.coordinator.deploy;

import static io.rma.coordinator.deploy.Manifests.objects;
import static io.rma.coordinator.deploy.Manifests.render;
import static io.rma.coordinator.deploy.Manifests.single;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.introspect.BeanPropertyDefinition;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor;
import io.rma.coordinator.api.v1alpha1.Capabilities;
import io.rma.coordinator.api.v1alpha1.Condition;
import io.rma.coordinator.api.v1alpha1.RMAWorker;
import io.rma.coordinator.api.v1alpha1.RMAWorkerSpec;
import io.rma.coordinator.api.v1alpha1.RMAWorkerStatus;
import io.rma.coordinator.config.ConfigLoader;
import io.rma.coordinator.config.CoordinatorConfig;
import io.rma.coordinator.runtime.KubernetesMode;
import java.io.IOException;
import java.lang.reflect.Method;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Helm chart, checked with a real helm v3 and fabric8's model classes; no cluster needed. */
class HelmChartTest {
  private static final String ALL_SETTINGS = "src/test/resources/deploy/all-settings.yaml";
  private static final String STANDALONE = "src/test/resources/deploy/standalone.yaml";

  @Test
  void helmLintIsCleanForTheDefaultsAndForEverySettingSwitchedOn() {
    for (List<String> args :
        List.of(List.<String>of(), List.of("-f", ALL_SETTINGS), List.of("-f", STANDALONE))) {
      List<String> command = new ArrayList<>(List.of("lint", "--strict"));
      command.addAll(args);
      command.add(Manifests.CHART.toString());
      KubeTools.Result lint = KubeTools.helm().run(command.toArray(String[]::new));
      assertThat(lint.exitCode()).as(lint.stdout() + lint.stderr()).isZero();
      assertThat(lint.stdout())
          .contains("1 chart(s) linted, 0 chart(s) failed")
          .doesNotContain("[WARNING]", "[ERROR]");
    }
  }

  @Test
  void defaultRenderHasTheCrdAndTheCoordinatorWithLeastPrivilege() {
    List<HasMetadata> objects = objects(render());
    assertThat(objects)
        .extracting(o -> o.getKind() + "/" + o.getMetadata().getName())
        .containsExactlyInAnyOrder(
            "CustomResourceDefinition/rmaworkers.rma.io",
            "ServiceAccount/rma-coordinator",
            "Secret/rma-coordinator",
            "Role/rma-coordinator",
            "RoleBinding/rma-coordinator",
            "Service/rma-coordinator",
            "Deployment/rma-coordinator",
            "PodDisruptionBudget/rma-coordinator");
    Deployment deployment = single(objects, Deployment.class);
    assertThat(deployment.getSpec().getReplicas()).isEqualTo(2);
    assertThat(env(deployment))
        .containsEntry("RMA_MODE", "kubernetes")
        .containsEntry("RMA_NAMESPACE", "fieldRef:metadata.namespace")
        .containsEntry("POD_NAME", "fieldRef:metadata.name")
        .containsEntry("RMA_LEADER_ELECTION", "true")
        .containsEntry("POD_NAMESPACE", "fieldRef:metadata.namespace")
        .containsEntry("RMA_LEASE_NAME", "rma-coordinator")
        .containsEntry("RMA_JOIN_TOKEN", "secret:rma-coordinator/join-token")
        .containsEntry("RMA_ADMIN_TOKEN", "secret:rma-coordinator/admin-token")
        .containsEntry("DATABASE_PATH", "")
        .containsKey("JDK_JAVA_OPTIONS")
        // settings left empty keep the coordinator's defaults: they are not rendered at all
        .doesNotContainKeys("RMA_OFFLINE_AFTER", "RMA_PRUNE_AFTER", "RMA_SERVICE_CATALOGUE");
    assertThat(deployment.getSpec().getTemplate().getSpec().getServiceAccountName())
        .isEqualTo(single(objects, ServiceAccount.class).getMetadata().getName());
    Container c = deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(c.getResources().getLimits()).containsKey("memory");
    assertThat(c.getResources().getRequests()).containsKeys("cpu", "memory");
    assertThat(env(deployment).get("JDK_JAVA_OPTIONS"))
        .contains("-XX:MaxRAMPercentage=", "-XX:+UseSerialGC");
  }

  @Test
  void everyRenderedObjectParsesIntoItsModelClassWithNoUnknownField() {
    for (List<JsonNode> docs :
        List.of(render(), render("-f", ALL_SETTINGS), render("-f", STANDALONE))) {
      List<HasMetadata> objects = objects(docs);
      assertThat(objects).hasSameSizeAs(docs);
      for (HasMetadata o : objects) {
        assertThat(o)
            .as(o.getKind() + " " + o.getMetadata().getName())
            .isNotInstanceOf(GenericKubernetesResource.class);
        // fabric8 keeps fields its model does not know in additionalProperties: a typo or a
        // field at the wrong level would land there instead of failing.
        assertThat(unknownFields(o, "", new IdentityHashMap<>()))
            .as("fields unknown to the model in " + o.getKind() + " " + o.getMetadata().getName())
            .isEmpty();
      }
    }
    List<HasMetadata> all = objects(render("-f", ALL_SETTINGS));
    assertThat(single(all, ServiceMonitor.class).getSpec().getEndpoints().get(0).getPath())
        .isEqualTo("/observe/metrics");
    assertThat(single(all, Ingress.class).getSpec().getIngressClassName()).isEqualTo("traefik");
    assertThat(single(all, ConfigMap.class).getData())
        .containsKeys("service-catalogue.yaml", "config.yaml");
    assertThat(single(objects(render("-f", STANDALONE)), PersistentVolumeClaim.class)).isNotNull();
  }

  @Test
  void podSpecMeetsTheRestrictedPodSecurityStandard() {
    for (List<JsonNode> docs :
        List.of(render(), render("-f", ALL_SETTINGS), render("-f", STANDALONE))) {
      Deployment deployment = single(objects(docs), Deployment.class);
      PodSpec pod = deployment.getSpec().getTemplate().getSpec();
      assertThat(RestrictedProfile.violations(pod)).isEmpty();

      // The fields the issue names, explicitly.
      assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
      assertThat(pod.getSecurityContext().getRunAsUser()).isPositive();
      assertThat(pod.getSecurityContext().getSeccompProfile().getType())
          .isEqualTo("RuntimeDefault");
      Container c = pod.getContainers().get(0);
      assertThat(c.getSecurityContext().getRunAsNonRoot()).isTrue();
      assertThat(c.getSecurityContext().getRunAsUser()).isPositive();
      assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
      assertThat(c.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
      assertThat(c.getSecurityContext().getCapabilities().getAdd()).isNullOrEmpty();
      assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
      // ... and with a read-only root, /tmp is a writable emptyDir.
      String tmpVolume =
          c.getVolumeMounts().stream()
              .filter(m -> m.getMountPath().equals("/tmp"))
              .findFirst()
              .orElseThrow()
              .getName();
      assertThat(pod.getVolumes())
          .filteredOn(v -> v.getName().equals(tmpVolume))
          .singleElement()
          .satisfies(v -> assertThat(v.getEmptyDir()).isNotNull());
    }
  }

  @Test
  void restrictedProfileCheckCatchesWhatItShould() {
    Deployment deployment = single(objects(render()), Deployment.class);
    PodSpec pod = deployment.getSpec().getTemplate().getSpec();
    pod.getContainers().get(0).getSecurityContext().setAllowPrivilegeEscalation(true);
    pod.getContainers().get(0).getSecurityContext().getCapabilities().setAdd(List.of("SYS_ADMIN"));
    pod.getSecurityContext().setRunAsUser(0L);
    pod.getContainers().get(0).getSecurityContext().setRunAsUser(null);
    pod.getVolumes().get(0).setHostPath(new io.fabric8.kubernetes.api.model.HostPathVolumeSource());
    pod.getVolumes().get(0).setEmptyDir(null);
    assertThat(RestrictedProfile.violations(pod))
        .anyMatch(v -> v.contains("allowPrivilegeEscalation"))
        .anyMatch(v -> v.contains("SYS_ADMIN"))
        .anyMatch(v -> v.contains("runAsUser 0"))
        .anyMatch(v -> v.contains("hostPath"));
  }

  @Test
  void probesCallEndpointsTheCoordinatorServes() throws Exception {
    Deployment deployment = single(objects(render()), Deployment.class);
    Container c = deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(c.getPorts())
        .singleElement()
        .satisfies(p -> assertThat(p.getName()).isEqualTo("http"));
    assertThat(env(deployment).get("PORT"))
        .isEqualTo(String.valueOf(c.getPorts().get(0).getContainerPort()));
    List<String> paths =
        List.of(
            c.getStartupProbe().getHttpGet().getPath(),
            c.getLivenessProbe().getHttpGet().getPath(),
            c.getReadinessProbe().getHttpGet().getPath());
    assertThat(paths)
        .containsExactly("/observe/health/live", "/observe/health/live", "/observe/health/ready");
    for (var probe : List.of(c.getStartupProbe(), c.getLivenessProbe(), c.getReadinessProbe())) {
      assertThat(probe.getHttpGet().getPort().getStrVal()).isEqualTo("http");
    }
    Service service = single(objects(render()), Service.class);
    assertThat(service.getSpec().getPorts().get(0).getTargetPort().getStrVal()).isEqualTo("http");

    // The paths answer 200 on a real coordinator.
    RealCoordinator.assertPathsAnswer200(paths);
  }

  @Test
  void everySettingInTheReadmeHasAValueAndTheCoordinatorAcceptsTheRenderedEnvironment(
      @TempDir Path dir) throws IOException {
    List<HasMetadata> objects = objects(render("-f", ALL_SETTINGS));
    Map<String, String> env = env(single(objects, Deployment.class));
    assertThat(env.keySet()).containsAll(readmeSettings());

    // Hand the rendered environment to the coordinator's loader, with the ConfigMap's files where
    // the pod would have them mounted and the Secret's keys as the kubelet would resolve them.
    ConfigMap configMap = single(objects, ConfigMap.class);
    Map<String, String> resolved = new HashMap<>();
    for (Map.Entry<String, String> e : env.entrySet()) {
      String value = e.getValue();
      if (value.startsWith("/etc/rma/")) {
        Path file = dir.resolve(value.substring("/etc/rma/".length()));
        Files.writeString(file, configMap.getData().get(file.getFileName().toString()));
        value = file.toString();
      } else if (value.startsWith("secret:")) {
        value = "from-secret";
      } else if (value.startsWith("fieldRef:")) {
        value = "rma";
      }
      resolved.put(e.getKey(), value);
    }
    // Every variable the chart sets is read by the coordinator (or the JVM): no invented names.
    Set<String> read = new java.util.concurrent.ConcurrentSkipListSet<>();
    Map<String, String> recording =
        new java.util.AbstractMap<>() {
          @Override
          public String get(Object key) {
            read.add((String) key);
            return resolved.get(key);
          }

          @Override
          public Set<Map.Entry<String, String>> entrySet() {
            return resolved.entrySet();
          }
        };
    CoordinatorConfig config = ConfigLoader.load(recording);
    KubernetesMode.Election election =
        KubernetesMode.Election.fromEnvironment(config, recording, true);
    assertThat(election.podName()).contains("rma");
    assertThat(election.podNamespace()).contains("rma");
    Set<String> unread = new java.util.TreeSet<>(env.keySet());
    unread.removeAll(read);
    assertThat(unread)
        .as("rendered but never read")
        .containsExactlyInAnyOrder("JDK_JAVA_OPTIONS", "EXTRA"); // the JVM's; extraEnv's own
    assertThat(config.port()).isEqualTo(9090);
    assertThat(config.namespace()).isEqualTo("workers");
    assertThat(config.mode()).contains(CoordinatorConfig.Mode.kubernetes);
    assertThat(config.health().heartbeatInterval()).isEqualTo(Duration.ofSeconds(20));
    assertThat(config.health().offlineAfter()).isEqualTo(Duration.ofSeconds(60));
    assertThat(config.health().pruneAfter()).isEqualTo(Duration.ofMinutes(10));
    assertThat(config.health().grace()).isEqualTo(Duration.ofSeconds(45));
    assertThat(config.health().massStaleMinPool()).isEqualTo(12);
    assertThat(config.health().massStaleFraction()).isEqualTo(0.6);
    assertThat(config.health().statusKeepalive()).isEqualTo(Duration.ofMinutes(2));
    assertThat(config.loopInterval()).isEqualTo(Duration.ofSeconds(2));
    assertThat(config.routing().loadCeiling()).isEqualTo(0.75);
    assertThat(config.tiers().gpuMemoryGib()).isEqualTo(16);
    assertThat(config.tiers().ramGib()).isEqualTo(8.5);
    assertThat(config.tiers().cpuCores()).isEqualTo(4);
    assertThat(config.security().workerAuthEnforced()).isFalse();
    assertThat(config.publicUrl()).contains("https://rma.example.com");
    assertThat(config.maxBodyBytes()).isEqualTo(2_097_152L);
    assertThat(config.databasePath()).contains(Path.of("/data/rma.db"));
    assertThat(config.security().joinToken()).contains("from-secret");
    assertThat(config.security().adminToken()).contains("from-secret");
    assertThat(config.security().allowLoopbackWorkers()).isTrue();
    assertThat(config.security().allowPrivateWorkers()).isFalse();
    assertThat(config.security().maxWorkers()).isEqualTo(500);
    assertThat(config.security().registrationsPerMinute()).isEqualTo(30);
    assertThat(config.security().inferencePerSecond()).isEqualTo(100);
    assertThat(config.security().trustedProxies().contains(InetAddress.getByName("10.42.7.1")))
        .isTrue();
    assertThat(config.security().corsOrigins()).containsExactly("https://dash.example.com");
    assertThat(config.tasks().queueCapacity()).isEqualTo(500);
    assertThat(config.tasks().maxBytes()).isEqualTo(32L * 1024 * 1024);
    assertThat(config.tasks().maxAttempts()).isEqualTo(4);
    assertThat(config.tasks().lease()).isEqualTo(Duration.ofMinutes(2));
    assertThat(config.tasks().maxLease()).isEqualTo(Duration.ofHours(2));
    assertThat(config.tasks().queueTimeout()).isEqualTo(Duration.ofMinutes(7));
    assertThat(config.tasks().retention()).isEqualTo(Duration.ofMinutes(20));
    assertThat(config.tasks().resultWait()).isEqualTo(Duration.ofSeconds(90));
    assertThat(config.tasks().maxPollWait()).isEqualTo(Duration.ofSeconds(20));
    assertThat(config.tasks().maxPollBatch()).isEqualTo(8);
    assertThat(config.tasks().retryAfter()).isEqualTo(Duration.ofSeconds(5));
    assertThat(config.routing().connectTimeout()).isEqualTo(Duration.ofSeconds(3));
    assertThat(config.routing().upstreamTimeout()).isEqualTo(Duration.ofMinutes(5));
    assertThat(config.routing().maxBodyBytes()).isEqualTo(33_554_432L);
    assertThat(config.routing().attempts()).isEqualTo(2);
    assertThat(config.routing().ejectAfterFailures()).isEqualTo(5);
    assertThat(config.routing().ejectFor()).isEqualTo(Duration.ofMinutes(1));
    assertThat(config.routing().bodyTimeout()).isEqualTo(Duration.ofMinutes(2));
    assertThat(config.routing().headTimeout()).isEqualTo(Duration.ofSeconds(45));
    assertThat(config.catalogue().all())
        .extracting(s -> s.name() + ":" + s.tier() + ":" + s.port())
        .containsExactly("vllm:1:8000", "rag:2:8002", "redis:3:6379");
    assertThat(config.catalogue().find("vllm").orElseThrow().env())
        .containsEntry("MODEL", "mistral");
    assertThat(config.leaderElection()).isTrue();
    assertThat(config.leaseName()).isEqualTo("rma-lease");
    assertThat(config.logFormat()).isEqualTo(CoordinatorConfig.LogFormat.json);

    Secret secret = single(objects, Secret.class);
    assertThat(decode(secret, "join-token")).isEqualTo("join-me");
    assertThat(decode(secret, "admin-token")).isEqualTo("admin-me");
  }

  @Test
  void joinTokenIsGeneratedIntoTheSecretAndReachesThePodThroughSecretKeyRef() {
    List<HasMetadata> objects = objects(render());
    Secret secret = single(objects, Secret.class);
    assertThat(decode(secret, "join-token")).matches("[A-Za-z0-9]{40}");
    assertThat(decode(secret, "admin-token")).matches("[A-Za-z0-9]{40}");
    assertThat(env(single(objects, Deployment.class)))
        .containsEntry(
            "RMA_JOIN_TOKEN", "secret:" + secret.getMetadata().getName() + "/join-token");

    // An existing Secret replaces the chart's own; switching a token off removes it everywhere.
    List<HasMetadata> existing =
        objects(render("--set", "existingSecret=my-tokens", "--set", "adminToken.enabled=false"));
    assertThat(Manifests.ofType(existing, Secret.class)).isEmpty();
    assertThat(env(single(existing, Deployment.class)))
        .containsEntry("RMA_JOIN_TOKEN", "secret:my-tokens/join-token")
        .doesNotContainKey("RMA_ADMIN_TOKEN");
  }

  @Test
  void workersInAnotherNamespaceGetTheirOwnRoleThere() {
    List<HasMetadata> objects = objects(render("--set", "config.namespace=workers"));
    assertThat(Manifests.ofType(objects, Role.class))
        .extracting(r -> r.getMetadata().getNamespace() + "/" + r.getMetadata().getName())
        .containsExactlyInAnyOrder("rma/rma-coordinator", "workers/rma-coordinator-workers");
    assertThat(Manifests.ofType(objects, RoleBinding.class))
        .allSatisfy(
            b ->
                assertThat(b.getSubjects())
                    .singleElement()
                    .satisfies(s -> assertThat(s.getNamespace()).isEqualTo("rma")));
  }

  @Test
  void onlyTheLeaderGetsTrafficAndRolloutsKeepAReadyStandby() {
    List<HasMetadata> objects = objects(render());
    Deployment deployment = single(objects, Deployment.class);
    Service service = single(objects, Service.class);
    // The leader labels its own pod; the Service selects the Deployment's pods with that label.
    assertThat(service.getSpec().getSelector())
        .containsAllEntriesOf(deployment.getSpec().getSelector().getMatchLabels())
        .containsEntry("rma.io/leader", "true")
        .hasSize(deployment.getSpec().getSelector().getMatchLabels().size() + 1);
    assertThat(deployment.getSpec().getTemplate().getMetadata().getLabels())
        .doesNotContainKey("rma.io/leader");
    // A new pod (a standby) is Ready before an old one stops: a leader always has a successor.
    var strategy = deployment.getSpec().getStrategy();
    assertThat(strategy.getType()).isEqualTo("RollingUpdate");
    assertThat(strategy.getRollingUpdate().getMaxUnavailable().getIntVal()).isZero();
    assertThat(strategy.getRollingUpdate().getMaxSurge().getIntVal()).isEqualTo(1);

    // Without leader election: one replica, which leads (and labels its pod) alone; Recreate.
    KubeTools.Result refused =
        KubeTools.helm()
            .run(
                "template",
                "rma",
                Manifests.CHART.toString(),
                "--set",
                "leaderElection.enabled=false");
    assertThat(refused.exitCode()).isNotZero();
    assertThat(refused.stderr()).contains("set replicaCount to 1");
    List<HasMetadata> alone =
        objects(render("--set", "leaderElection.enabled=false", "--set", "replicaCount=1"));
    Deployment single = single(alone, Deployment.class);
    assertThat(single.getSpec().getStrategy().getType()).isEqualTo("Recreate");
    assertThat(env(single))
        .containsEntry("RMA_LEADER_ELECTION", "false")
        .containsEntry("POD_NAME", "fieldRef:metadata.name")
        .doesNotContainKey("RMA_LEASE_NAME");
    assertThat(single(alone, Service.class).getSpec().getSelector())
        .containsEntry("rma.io/leader", "true");

    // Standalone mode has no leader: the Service selects its one pod.
    List<HasMetadata> standalone = objects(render("-f", STANDALONE));
    assertThat(single(standalone, Service.class).getSpec().getSelector())
        .doesNotContainKey("rma.io/leader");
    assertThat(env(single(standalone, Deployment.class)))
        .doesNotContainKeys("POD_NAME", "POD_NAMESPACE", "RMA_LEADER_ELECTION", "RMA_LEASE_NAME");
  }

  @Test
  void standaloneModeRunsOneReplicaWithoutKubernetesAccess() {
    List<HasMetadata> objects = objects(render("-f", STANDALONE));
    Deployment deployment = single(objects, Deployment.class);
    assertThat(deployment.getSpec().getReplicas()).isEqualTo(1);
    assertThat(deployment.getSpec().getStrategy().getType()).isEqualTo("Recreate");
    assertThat(deployment.getSpec().getTemplate().getSpec().getAutomountServiceAccountToken())
        .isFalse();
    assertThat(Manifests.ofType(objects, Role.class)).isEmpty();
    assertThat(Manifests.ofType(objects, PodDisruptionBudget.class)).isEmpty();
    assertThat(env(deployment)).containsEntry("DATABASE_PATH", "/data/rma.db");

    KubeTools.Result refused =
        KubeTools.helm()
            .run(
                "template",
                "rma",
                Manifests.CHART.toString(),
                "--set",
                "config.mode=standalone",
                "--set",
                "replicaCount=2");
    assertThat(refused.exitCode()).isNotZero();
    assertThat(refused.stderr()).contains("set replicaCount to 1");

    KubeTools.Result noVolume =
        KubeTools.helm()
            .run(
                "template",
                "rma",
                Manifests.CHART.toString(),
                "-f",
                STANDALONE,
                "--set",
                "persistence.enabled=false");
    assertThat(noVolume.exitCode()).isNotZero();
    assertThat(noVolume.stderr()).contains("needs persistence.enabled");
  }

  @Test
  void valuesSchemaRefusesUnknownOrInvalidSettings() {
    KubeTools.Result typo =
        KubeTools.helm()
            .run("template", "rma", Manifests.CHART.toString(), "--set", "config.offlinAfter=5s");
    assertThat(typo.exitCode()).isNotZero();
    assertThat(typo.stderr()).contains("offlinAfter");
    KubeTools.Result mode =
        KubeTools.helm()
            .run("template", "rma", Manifests.CHART.toString(), "--set", "config.workerAuth=maybe");
    assertThat(mode.exitCode()).isNotZero();
  }

  @Test
  void notesTellHowToRegisterAWorkerAndListRmaworkers(@TempDir Path dir) throws IOException {
    // helm template does not render NOTES.txt: render it through tpl in a copy of the chart.
    Path chart = dir.resolve("rma-coordinator");
    copyTree(Manifests.CHART, chart);
    Files.move(chart.resolve("templates/NOTES.txt"), chart.resolve("notes-under-test.txt"));
    Files.writeString(
        chart.resolve("templates/notes-under-test.yaml"),
        """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: notes
        data:
          notes: {{ tpl (.Files.Get "notes-under-test.txt") . | toJson }}
        """);
    String out =
        KubeTools.helm()
            .ok(
                "template",
                "rma",
                chart.toString(),
                "--namespace",
                "rma",
                "--show-only",
                "templates/notes-under-test.yaml");
    String notes = Manifests.documents(out).get(0).path("data").path("notes").asText();
    assertThat(notes)
        .contains("kubectl -n rma get rmaworkers")
        .contains("/api/worker/register")
        .contains("get secret rma-coordinator -o jsonpath='{.data.join-token}'")
        .contains("Authorization: Bearer $JOIN_TOKEN")
        .contains("kubectl -n rma port-forward service/rma-coordinator 8080:8080");
  }

  @Test
  void chartCrdDescribesTheModelClasses() throws IOException {
    String file = Files.readString(Manifests.CHART_CRD, StandardCharsets.UTF_8);
    CustomResourceDefinition crd =
        single(objects(Manifests.documents(file)), CustomResourceDefinition.class);
    assertThat(crd.getMetadata().getName()).isEqualTo(RMAWorker.PLURAL + "." + RMAWorker.GROUP);
    assertThat(crd.getSpec().getGroup()).isEqualTo(RMAWorker.GROUP);
    assertThat(crd.getSpec().getScope()).isEqualTo("Namespaced");
    assertThat(crd.getSpec().getNames().getKind()).isEqualTo(RMAWorker.KIND);
    assertThat(crd.getSpec().getNames().getPlural()).isEqualTo(RMAWorker.PLURAL);
    assertThat(crd.getSpec().getNames().getShortNames()).contains("rmaw");
    var version = crd.getSpec().getVersions().get(0);
    assertThat(crd.getSpec().getVersions()).hasSize(1);
    assertThat(version.getName()).isEqualTo(RMAWorker.VERSION);
    assertThat(version.getServed()).isTrue();
    assertThat(version.getStorage()).isTrue();
    assertThat(version.getSubresources().getStatus()).isNotNull();

    Map<String, JSONSchemaProps> root = version.getSchema().getOpenAPIV3Schema().getProperties();
    JSONSchemaProps spec = root.get("spec");
    JSONSchemaProps status = root.get("status");
    assertThat(spec.getProperties().keySet()).isEqualTo(properties(RMAWorkerSpec.class));
    assertThat(spec.getProperties().get("capabilities").getProperties().keySet())
        .isEqualTo(properties(Capabilities.class));
    assertThat(status.getProperties().keySet()).isEqualTo(properties(RMAWorkerStatus.class));
    assertThat(
            status
                .getProperties()
                .get("conditions")
                .getItems()
                .getSchema()
                .getProperties()
                .keySet())
        .isEqualTo(properties(Condition.class));

    // The chart installs it unchanged (helm's crds/ directory is not templated).
    assertThat(objects(render()))
        .filteredOn(CustomResourceDefinition.class::isInstance)
        .singleElement()
        .isEqualTo(crd);
    // Once the build generates crds/ from the model, the chart's copy must be that file.
    Path generated = Path.of("crds", "rmaworkers.rma.io-v1.yml");
    if (Files.exists(generated)) {
      assertThat(file).isEqualTo(Files.readString(generated, StandardCharsets.UTF_8));
    }
  }

  // --- helpers

  /** The container's env: plain values, "secret:NAME/KEY" or "fieldRef:PATH". */
  static Map<String, String> env(Deployment deployment) {
    Map<String, String> env = new java.util.LinkedHashMap<>();
    for (EnvVar e : deployment.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv()) {
      String value;
      if (e.getValueFrom() == null) {
        value = e.getValue() == null ? "" : e.getValue();
      } else if (e.getValueFrom().getSecretKeyRef() != null) {
        value =
            "secret:"
                + e.getValueFrom().getSecretKeyRef().getName()
                + "/"
                + e.getValueFrom().getSecretKeyRef().getKey();
      } else {
        value = "fieldRef:" + e.getValueFrom().getFieldRef().getFieldPath();
      }
      assertThat(env.put(e.getName(), value)).as("duplicate env " + e.getName()).isNull();
    }
    return env;
  }

  /** The environment variables of README's configuration table. */
  static Set<String> readmeSettings() throws IOException {
    String readme = Files.readString(Path.of("README.md"), StandardCharsets.UTF_8);
    String table = readme.substring(readme.indexOf("## Configuration"));
    table = table.substring(0, table.indexOf("\n## ", 3));
    Set<String> names = new LinkedHashSet<>();
    Matcher m = Pattern.compile("(?m)^\\| `([A-Z0-9_]+)`(?: / `([A-Z0-9_]+)`)?").matcher(table);
    while (m.find()) {
      names.add(m.group(1));
      if (m.group(2) != null) {
        names.add(m.group(2));
      }
    }
    assertThat(names).contains("PORT", "DATABASE_PATH", "RMA_JOIN_TOKEN").hasSizeGreaterThan(20);
    return names;
  }

  /** JSON property names of a model class, as Jackson (and so the CRD generator) sees them. */
  private static Set<String> properties(Class<?> type) {
    ObjectMapper mapper = io.fabric8.kubernetes.client.utils.Serialization.jsonMapper();
    JavaType javaType = mapper.constructType(type);
    return mapper.getSerializationConfig().introspect(javaType).findProperties().stream()
        .map(BeanPropertyDefinition::getName)
        .collect(Collectors.toSet());
  }

  private static String decode(Secret secret, String key) {
    return new String(
        Base64.getDecoder().decode(secret.getData().get(key)), StandardCharsets.UTF_8);
  }

  /** Paths (in JSON-ish form) of every non-empty additionalProperties map in a model object. */
  static List<String> unknownFields(Object o, String path, Map<Object, Boolean> seen) {
    List<String> found = new ArrayList<>();
    if (o == null || seen.put(o, Boolean.TRUE) != null) {
      return found;
    }
    if (o instanceof Collection<?> c) {
      int i = 0;
      for (Object item : c) {
        found.addAll(unknownFields(item, path + "[" + i++ + "]", seen));
      }
      return found;
    }
    if (o instanceof Map<?, ?> map) {
      map.forEach((k, v) -> found.addAll(unknownFields(v, path + "." + k, seen)));
      return found;
    }
    if (!o.getClass().getName().startsWith("io.fabric8.")) {
      return found;
    }
    for (Method getter : o.getClass().getMethods()) {
      if (getter.getParameterCount() != 0
          || !getter.getName().startsWith("get")
          || getter.getDeclaringClass() == Object.class) {
        continue;
      }
      Object value;
      try {
        value = getter.invoke(o);
      } catch (ReflectiveOperationException e) {
        continue;
      }
      if (getter.getName().equals("getAdditionalProperties") && value instanceof Map<?, ?> extra) {
        if (!extra.isEmpty()) {
          found.add(path + " " + extra.keySet());
        }
        continue;
      }
      found.addAll(unknownFields(value, path + "." + getter.getName().substring(3), seen));
    }
    return found;
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (var paths = Files.walk(from)) {
      for (Path p : paths.toList()) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    }
  }
}
