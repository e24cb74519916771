package io.rma.coordinator.deploy;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Kubernetes RBAC authorizer, as far as the chart needs it: which requests a service account
 * may make, given the rendered Roles and RoleBindings. Rules match as on a real API server: API
 * group, resource (with subresource), verb, and {@code resourceNames} against the name in the URL
 * (so a create, whose name is in the body, never matches a rule with resourceNames).
 */
final class Rbac {
  private Rbac() {}

  /**
   * One API request as the authorizer sees it.
   *
   * @param namespace null for a cluster-scoped request
   * @param name the object's name from the URL; null for create, list and watch
   */
  record ApiCall(String group, String resource, String verb, String namespace, String name) {
    private static final Pattern PATH =
        Pattern.compile(
            "^/(?:api/v1|apis/(?<group>[^/]+)/[^/]+)"
                + "(?:/namespaces/(?<ns>[^/]+))?/(?<resource>[^/]+)"
                + "(?:/(?<name>[^/]+)(?:/(?<sub>[^/]+))?)?$");

    /**
     * The call behind one request of the mock server's log (method, path with query): {@code GET
     * /apis/rma.io/v1alpha1/namespaces/rma/rmaworkers?watch=true} is a watch on rmaworkers in rma.
     */
    static ApiCall fromRequest(String method, String pathAndQuery) {
      URI uri = URI.create(pathAndQuery);
      Matcher m = PATH.matcher(uri.getPath());
      if (!m.matches()) {
        throw new IllegalArgumentException("not a resource request: " + pathAndQuery);
      }
      String group = Optional.ofNullable(m.group("group")).orElse("");
      String resource = m.group("resource") + (m.group("sub") == null ? "" : "/" + m.group("sub"));
      String name = m.group("name");
      String query = Optional.ofNullable(uri.getQuery()).orElse("");
      boolean watch = query.matches("(^|.*&)watch=(true|1)(&.*|$)");
      String verb =
          switch (method.toUpperCase(Locale.ROOT)) {
            case "GET" -> watch ? "watch" : name != null ? "get" : "list";
            case "POST" -> "create";
            case "PUT" -> "update";
            case "PATCH" -> "patch";
            case "DELETE" -> name != null ? "delete" : "deletecollection";
            default -> throw new IllegalArgumentException("method " + method);
          };
      return new ApiCall(group, resource, verb, m.group("ns"), name);
    }

    /** The same call without the object's name: what a table of calls groups by. */
    ApiCall unnamed() {
      return new ApiCall(group, resource, verb, namespace, null);
    }

    @Override
    public String toString() {
      return verb
          + " "
          + (group.isEmpty() ? "core" : group)
          + "/"
          + resource
          + (name == null ? "" : " " + name)
          + (namespace == null ? " (cluster-scoped)" : " in " + namespace);
    }
  }

  /**
   * One permission: a verb on a resource in a namespace, limited to one object's name or not
   * (resourceName null). A rule with several groups, resources, verbs and names is several grants.
   */
  record Grant(String namespace, String group, String resource, String verb, String resourceName) {
    boolean allows(ApiCall call) {
      return namespace.equals(call.namespace())
          && matches(group, call.group())
          && matches(resource, call.resource())
          && matches(verb, call.verb())
          && (resourceName == null || resourceName.equals(call.name()));
    }

    private static boolean matches(String granted, String asked) {
      return granted.equals("*") || granted.equals(asked);
    }

    @Override
    public String toString() {
      return verb
          + " "
          + (group.isEmpty() ? "core" : group)
          + "/"
          + resource
          + (resourceName == null ? "" : " " + resourceName)
          + " in "
          + namespace;
    }
  }

  /**
   * Everything the rendered Roles grant the service account {@code account} of namespace {@code
   * accountNamespace}, through RoleBindings in each Role's namespace. (The chart has no
   * ClusterRoles or ClusterRoleBindings; {@code RbacCoverageTest} keeps it so.)
   */
  static List<Grant> grants(List<HasMetadata> objects, String account, String accountNamespace) {
    List<Grant> grants = new ArrayList<>();
    for (RoleBinding binding : Manifests.ofType(objects, RoleBinding.class).toList()) {
      String namespace = binding.getMetadata().getNamespace();
      boolean bindsAccount =
          binding.getSubjects().stream()
              .anyMatch(
                  s ->
                      s.getKind().equals("ServiceAccount")
                          && s.getName().equals(account)
                          && accountNamespace.equals(s.getNamespace()));
      if (!bindsAccount || !binding.getRoleRef().getKind().equals("Role")) {
        continue;
      }
      Manifests.ofType(objects, Role.class)
          .filter(r -> r.getMetadata().getName().equals(binding.getRoleRef().getName()))
          .filter(r -> namespace.equals(r.getMetadata().getNamespace()))
          .flatMap(r -> r.getRules().stream())
          .forEach(rule -> grants.addAll(expand(namespace, rule)));
    }
    return grants;
  }

  static List<Grant> expand(String namespace, PolicyRule rule) {
    List<String> names =
        rule.getResourceNames() == null || rule.getResourceNames().isEmpty()
            ? java.util.Collections.singletonList(null)
            : rule.getResourceNames();
    List<Grant> grants = new ArrayList<>();
    for (String group : rule.getApiGroups()) {
      for (String resource : rule.getResources()) {
        for (String verb : rule.getVerbs()) {
          for (String name : names) {
            grants.add(new Grant(namespace, group, resource, verb, name));
          }
        }
      }
    }
    return grants;
  }

  static boolean allowed(List<Grant> grants, ApiCall call) {
    return grants.stream().anyMatch(g -> g.allows(call));
  }
}
