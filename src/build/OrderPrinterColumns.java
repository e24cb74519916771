import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Build step (pom.xml, process-classes, after the CRD generator): puts the printer columns of the
 * generated CRD in the given order. fabric8's crd-generator sorts them by JSON path and has no
 * setting for their order; kubectl shows them in the CRD's order. Only the items of each {@code
 * additionalPrinterColumns} list move, line for line; everything else is left as generated. Fails
 * when the generated columns are not exactly the named ones, so a new column must be placed.
 *
 * <p>Run by the JDK's source launcher: {@code java src/build/OrderPrinterColumns.java CRD.yml
 * Tier,Phase,...}.
 */
public final class OrderPrinterColumns {
  private static final Pattern LIST = Pattern.compile("^(\\s*)(- )?additionalPrinterColumns:$");
  private static final Pattern NAME = Pattern.compile("^\\s*(- )?name: \"(.*)\"$");

  public static void main(String[] args) throws Exception {
    if (args.length != 2) {
      throw new IllegalArgumentException("usage: OrderPrinterColumns CRD.yml Name1,Name2,...");
    }
    Path file = Path.of(args[0]);
    List<String> order = Arrays.asList(args[1].split(","));
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    List<String> out = new ArrayList<>();
    int lists = 0;
    for (int i = 0; i < lines.size(); ) {
      String line = lines.get(i);
      out.add(line);
      i++;
      Matcher m = LIST.matcher(line);
      if (!m.matches()) {
        continue;
      }
      lists++;
      // The list's items are "- " at the key's own indentation (YAML's compact style), or deeper.
      int keyIndent = m.group(1).length() + (m.group(2) == null ? 0 : 2);
      String itemStart = " ".repeat(keyIndent) + "- ";
      String within = " ".repeat(keyIndent + 2);
      Map<String, List<String>> items = new LinkedHashMap<>();
      List<String> item = null;
      while (i < lines.size()
          && (lines.get(i).startsWith(itemStart) || (item != null && lines.get(i).startsWith(within)))) {
        String l = lines.get(i);
        if (l.startsWith(itemStart)) {
          item = new ArrayList<>();
          items.put("#" + items.size(), item);
        }
        item.add(l);
        i++;
      }
      Map<String, List<String>> byName = new LinkedHashMap<>();
      for (List<String> it : items.values()) {
        String name = null;
        for (String l : it) {
          Matcher n = NAME.matcher(l);
          // The item's own key, not a nested one: at the item's key indentation.
          if (n.matches() && (l.startsWith(itemStart + "name:") || l.startsWith(within + "name:"))) {
            name = n.group(2);
          }
        }
        if (name == null || byName.put(name, it) != null) {
          throw new IllegalStateException("printer column without a unique name: " + it);
        }
      }
      if (!new java.util.HashSet<>(order).equals(byName.keySet()) || order.size() != byName.size()) {
        throw new IllegalStateException(
            file
                + ": the generated printer columns are "
                + byName.keySet()
                + ", the order given in pom.xml names "
                + order
                + ": name every column once");
      }
      for (String name : order) {
        out.addAll(byName.get(name));
      }
    }
    if (lists == 0) {
      throw new IllegalStateException(file + " has no additionalPrinterColumns");
    }
    Files.write(file, out, StandardCharsets.UTF_8);
  }
}
