package io.rma.coordinator.deploy;

import io.fabric8.kubernetes.api.model.Capabilities;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.SeccompProfile;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The Pod Security Standards' "restricted" profile (and the "baseline" checks it includes), as
 * written at https://kubernetes.io/docs/concepts/security/pod-security-standards/, checked on a pod
 * spec without an API server.
 */
final class RestrictedProfile {
  private static final Set<String> RESTRICTED_VOLUME_TYPES =
      Set.of(
          "configMap",
          "csi",
          "downwardAPI",
          "emptyDir",
          "ephemeral",
          "persistentVolumeClaim",
          "projected",
          "secret");
  private static final Set<String> SAFE_SYSCTLS =
      Set.of(
          "kernel.shm_rmid_forced",
          "net.ipv4.ip_local_port_range",
          "net.ipv4.ip_unprivileged_port_start",
          "net.ipv4.tcp_syncookies",
          "net.ipv4.ping_group_range",
          "net.ipv4.ip_local_reserved_ports",
          "net.ipv4.tcp_keepalive_time",
          "net.ipv4.tcp_fin_timeout",
          "net.ipv4.tcp_keepalive_intvl",
          "net.ipv4.tcp_keepalive_probes");

  private RestrictedProfile() {}

  /** What breaks the profile; empty when the pod would be admitted by a restricted namespace. */
  static List<String> violations(PodSpec pod) {
    List<String> v = new ArrayList<>();
    PodSecurityContext podCtx =
        Optional.ofNullable(pod.getSecurityContext()).orElseGet(PodSecurityContext::new);
    List<Container> containers =
        Stream.of(pod.getInitContainers(), pod.getContainers())
            .filter(l -> l != null)
            .flatMap(List::stream)
            .toList();

    // baseline
    if (Boolean.TRUE.equals(pod.getHostNetwork())
        || Boolean.TRUE.equals(pod.getHostPID())
        || Boolean.TRUE.equals(pod.getHostIPC())) {
      v.add("host namespaces");
    }
    if (podCtx.getSysctls() != null) {
      podCtx.getSysctls().stream()
          .filter(s -> !SAFE_SYSCTLS.contains(s.getName()))
          .forEach(s -> v.add("unsafe sysctl " + s.getName()));
    }
    if (podCtx.getSeLinuxOptions() != null
        && (podCtx.getSeLinuxOptions().getUser() != null
            || podCtx.getSeLinuxOptions().getRole() != null)) {
      v.add("pod SELinux user/role");
    }
    // restricted: volume types
    for (Volume volume : Optional.ofNullable(pod.getVolumes()).orElse(List.of())) {
      String type = volumeType(volume);
      if (!RESTRICTED_VOLUME_TYPES.contains(type)) {
        v.add("volume " + volume.getName() + " of type " + type);
      }
    }
    // restricted: pod-level fields
    Long podUser = podCtx.getRunAsUser();
    if (podUser != null && podUser == 0) {
      v.add("pod runAsUser 0");
    }
    String podSeccomp = seccompType(podCtx.getSeccompProfile());
    if ("Unconfined".equals(podSeccomp)) {
      v.add("pod seccomp Unconfined");
    }

    for (Container c : containers) {
      String n = "container " + c.getName() + ": ";
      SecurityContext ctx =
          Optional.ofNullable(c.getSecurityContext()).orElseGet(SecurityContext::new);
      // baseline
      if (Boolean.TRUE.equals(ctx.getPrivileged())) {
        v.add(n + "privileged");
      }
      if (c.getPorts() != null
          && c.getPorts().stream().anyMatch(p -> p.getHostPort() != null && p.getHostPort() != 0)) {
        v.add(n + "hostPort");
      }
      if (ctx.getProcMount() != null && !"Default".equals(ctx.getProcMount())) {
        v.add(n + "procMount " + ctx.getProcMount());
      }
      if (ctx.getSeLinuxOptions() != null
          && (ctx.getSeLinuxOptions().getUser() != null
              || ctx.getSeLinuxOptions().getRole() != null)) {
        v.add(n + "SELinux user/role");
      }
      // restricted
      if (!Boolean.FALSE.equals(ctx.getAllowPrivilegeEscalation())) {
        v.add(n + "allowPrivilegeEscalation is not false");
      }
      boolean nonRoot =
          Boolean.TRUE.equals(ctx.getRunAsNonRoot())
              || (ctx.getRunAsNonRoot() == null && Boolean.TRUE.equals(podCtx.getRunAsNonRoot()));
      if (!nonRoot) {
        v.add(n + "runAsNonRoot is not true");
      }
      Long user = ctx.getRunAsUser() != null ? ctx.getRunAsUser() : podUser;
      if (user != null && user == 0) {
        v.add(n + "runAsUser 0");
      }
      String seccomp =
          ctx.getSeccompProfile() != null ? seccompType(ctx.getSeccompProfile()) : podSeccomp;
      if (!"RuntimeDefault".equals(seccomp) && !"Localhost".equals(seccomp)) {
        v.add(n + "seccompProfile is " + seccomp + ", not RuntimeDefault or Localhost");
      }
      Capabilities caps = ctx.getCapabilities();
      if (caps == null || caps.getDrop() == null || !caps.getDrop().contains("ALL")) {
        v.add(n + "capabilities do not drop ALL");
      }
      if (caps != null && caps.getAdd() != null) {
        caps.getAdd().stream()
            .filter(a -> !a.equals("NET_BIND_SERVICE"))
            .forEach(a -> v.add(n + "adds capability " + a));
      }
    }
    return v;
  }

  private static String seccompType(SeccompProfile profile) {
    return profile == null ? null : profile.getType();
  }

  private static String volumeType(Volume volume) {
    // The volume source is the one field set besides the name.
    List<String> fields = new ArrayList<>();
    Serialization.jsonMapper().valueToTree(volume).fieldNames().forEachRemaining(fields::add);
    return fields.stream().filter(f -> !f.equals("name")).findFirst().orElse("none");
  }
}
