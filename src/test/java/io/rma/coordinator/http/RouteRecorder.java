package io.rma.coordinator.http;

import io.helidon.http.HttpPrologue;
import io.helidon.http.Method;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRoute;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Records every route registered through a routing builder, at any depth: the builder and the rules
 * each service is given are wrapped, and every {@code route(HttpRoute)} they receive (which every
 * {@code get}, {@code post}, {@code any}, ... comes down to) is kept with the path prefix of the
 * service it was registered in. The real builder gets every call too, so the routing still builds.
 */
final class RouteRecorder {
  /** A route as registered: the prefix of its service ("" at the root) and the route. */
  record Recorded(String prefix, HttpRoute route) {
    /** Whether this route takes {@code method} on the absolute {@code path}. */
    boolean accepts(Method method, String path) {
      String rest;
      if (prefix.isEmpty()) {
        rest = path;
      } else if (path.equals(prefix)) {
        rest = "/";
      } else if (path.startsWith(prefix + "/")) {
        rest = path.substring(prefix.length());
      } else {
        return false;
      }
      return route
          .accepts(HttpPrologue.create("HTTP/1.1", "HTTP", "1.1", method, rest, false))
          .accepted();
    }

    @Override
    public String toString() {
      return (prefix.isEmpty() ? "" : "under " + prefix + ": ") + route;
    }
  }

  private final List<Recorded> routes = new CopyOnWriteArrayList<>();

  List<Recorded> routes() {
    return List.copyOf(routes);
  }

  /** A builder that records into this and passes everything on to {@code real}. */
  HttpRouting.Builder wrap(HttpRouting.Builder real) {
    return (HttpRouting.Builder) proxy(HttpRouting.Builder.class, real, "");
  }

  private Object proxy(Class<?> type, Object target, String prefix) {
    InvocationHandler handler =
        (self, m, args) -> {
          String name = m.getName();
          if (name.equals("route")
              && args != null
              && args.length == 1
              && args[0] instanceof HttpRoute r) {
            routes.add(new Recorded(prefix, r));
            invoke(m, target, args);
            return self;
          }
          if (name.equals("register")
              && args != null
              && args[args.length - 1] instanceof HttpService[] s) {
            String path = args.length == 2 ? (String) args[0] : "";
            HttpService[] wrapped = new HttpService[s.length];
            for (int i = 0; i < s.length; i++) {
              wrapped[i] = new RecordingService(s[i], join(prefix, path));
            }
            Object[] passed = args.clone();
            passed[passed.length - 1] = wrapped;
            invoke(m, target, passed);
            return self;
          }
          if (m.isDefault()) {
            // get/post/any/... and the Supplier variants: they come down to the methods above.
            return InvocationHandler.invokeDefault(self, m, args);
          }
          Object result = invoke(m, target, args);
          return result == target ? self : result;
        };
    return Proxy.newProxyInstance(
        RouteRecorder.class.getClassLoader(), new Class<?>[] {type}, handler);
  }

  private static Object invoke(java.lang.reflect.Method m, Object target, Object[] args)
      throws Throwable {
    try {
      return m.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  private static String join(String prefix, String path) {
    String p = path.equals("/") ? "" : path;
    return prefix + (p.endsWith("/") ? p.substring(0, p.length() - 1) : p);
  }

  /** A service whose routing is recorded under its prefix. */
  private final class RecordingService implements HttpService {
    private final HttpService delegate;
    private final String prefix;

    RecordingService(HttpService delegate, String prefix) {
      this.delegate = delegate;
      this.prefix = prefix;
    }

    @Override
    public void routing(HttpRules rules) {
      delegate.routing((HttpRules) proxy(HttpRules.class, rules, prefix));
    }

    @Override
    public void beforeStart() {
      delegate.beforeStart();
    }

    @Override
    public void afterStart(WebServer webServer) {
      delegate.afterStart(webServer);
    }

    @Override
    public void afterStop() {
      delegate.afterStop();
    }
  }

  /** Routes that take none of the given operations (method and absolute path). */
  List<Recorded> notAccepting(List<Operation> operations) {
    List<Recorded> out = new ArrayList<>();
    for (Recorded r : routes) {
      if (operations.stream().noneMatch(o -> r.accepts(o.method(), o.path()))) {
        out.add(r);
      }
    }
    return out;
  }

  /** One call: a method on a concrete path. */
  record Operation(Method method, String path) {
    @Override
    public String toString() {
      return method.text() + " " + path;
    }
  }
}
