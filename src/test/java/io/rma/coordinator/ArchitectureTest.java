package io.rma.coordinator;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The layout of docs/architecture.md, held against the compiled classes. */
class ArchitectureTest {
  private static JavaClasses classes;

  @BeforeAll
  static void importClasses() {
    classes =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.rma.coordinator");
  }

  @Test
  void packagesHaveNoCycles() {
    slices().matching("io.rma.coordinator.(*)..").should().beFreeOfCycles().check(classes);
  }

  @Test
  void theDomainCoreAndRoutingDecisionsUseNoHttpOrKubernetesClientTypes() {
    noClasses()
        .that()
        .resideInAnyPackage(
            "io.rma.coordinator.pool..",
            "io.rma.coordinator.routing..",
            "io.rma.coordinator.security..",
            "io.rma.coordinator.tasks..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "io.helidon.webserver..",
            "io.helidon.webclient..",
            "io.helidon.http..",
            "io.fabric8.kubernetes.client..",
            "io.javaoperatorsdk..",
            "io.rma.coordinator.http..",
            "io.rma.coordinator.kubernetes..",
            "io.rma.coordinator.runtime..")
        .check(classes);
  }

  /** Helidon is the one HTTP stack: no sockets, selectors or servers of our own in src/main. */
  @Test
  void noSocketServersOrSelectorsOfOurOwn() {
    noClasses()
        .should()
        .dependOnClassesThat()
        .haveFullyQualifiedName(java.nio.channels.SocketChannel.class.getName())
        .orShould()
        .dependOnClassesThat()
        .haveFullyQualifiedName(java.nio.channels.ServerSocketChannel.class.getName())
        .orShould()
        .dependOnClassesThat()
        .haveFullyQualifiedName(java.nio.channels.Selector.class.getName())
        .orShould()
        .dependOnClassesThat()
        .haveFullyQualifiedName(java.net.ServerSocket.class.getName())
        .orShould()
        .dependOnClassesThat()
        .haveFullyQualifiedName(java.net.Socket.class.getName())
        .check(classes);
  }
}
