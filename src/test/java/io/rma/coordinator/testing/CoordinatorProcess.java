package io.rma.coordinator.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The real {@code Main} in a child JVM, on a random port, with {@code dir} as its working and
 * temporary directory, so a test can SIGKILL it and see what survives.
 */
public final class CoordinatorProcess implements AutoCloseable {
  private static final Pattern LISTENING = Pattern.compile("listening on port (\\d+)");

  private final Process process;
  private final int port;
  private final List<String> output;

  private CoordinatorProcess(Process process, int port, List<String> output) {
    this.process = process;
    this.port = port;
    this.output = output;
  }

  public static CoordinatorProcess start(Path dir, Map<String, String> env) throws Exception {
    String java = ProcessHandle.current().info().command().orElse("java");
    Files.createDirectories(dir.resolve("cwd"));
    Files.createDirectories(dir.resolve("tmp"));
    ProcessBuilder pb =
        new ProcessBuilder(
                java,
                "-Xmx128m",
                // C1 only and the serial collector: the child starts about twice as fast.
                "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC",
                "-Djava.io.tmpdir=" + dir.resolve("tmp"),
                "-cp",
                System.getProperty("java.class.path"),
                "io.rma.coordinator.runtime.Main")
            .directory(dir.resolve("cwd").toFile())
            .redirectErrorStream(true);
    pb.environment().put("PORT", "0");
    pb.environment().putAll(env);
    Process p = pb.start();
    CompletableFuture<Integer> port = new CompletableFuture<>();
    List<String> output = new CopyOnWriteArrayList<>();
    Thread.ofVirtual()
        .start(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                  output.add(line);
                  Matcher m = LISTENING.matcher(line);
                  if (m.find()) {
                    port.complete(Integer.parseInt(m.group(1)));
                  }
                }
                port.completeExceptionally(new IllegalStateException("exited before listening"));
              } catch (IOException e) {
                port.completeExceptionally(e);
              }
            });
    try {
      return new CoordinatorProcess(p, port.get(60, TimeUnit.SECONDS), output);
    } catch (Exception e) {
      p.destroyForcibly();
      throw e;
    }
  }

  public int port() {
    return port;
  }

  /** The lines the process has written so far (standard output and error together). */
  public List<String> output() {
    return List.copyOf(output);
  }

  /** SIGKILL (destroyForcibly on Linux): no shutdown hook, no close(). */
  public void kill9() throws InterruptedException {
    process.destroyForcibly();
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      kill9();
    }
  }
}
