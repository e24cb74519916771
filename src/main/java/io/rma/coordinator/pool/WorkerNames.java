package io.rma.coordinator.pool;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** Worker ids double as RMAWorker object names, so they follow Kubernetes' DNS-1123 label rules. */
public final class WorkerNames {
  private static final Pattern DNS1123_LABEL = Pattern.compile("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$");
  private static final SecureRandom RANDOM = new SecureRandom();

  private WorkerNames() {}

  public static String generate() {
    byte[] b = new byte[6];
    RANDOM.nextBytes(b);
    return "worker-" + HexFormat.of().formatHex(b);
  }

  public static boolean valid(String id) {
    return id != null && id.length() <= 63 && DNS1123_LABEL.matcher(id).matches();
  }

  /** Why {@code id} is not a valid worker id, or null when it is. */
  public static String problem(String id) {
    if (!valid(id)) {
      return ("invalid worker_id "
          + (id == null
              ? "null"
              : '"' + (id.length() > 80 ? id.substring(0, 80) + "..." : id) + '"')
          + ": use at most 63 lower-case letters, digits and '-', starting and ending with a"
          + " letter or digit");
    }
    return null;
  }
}
