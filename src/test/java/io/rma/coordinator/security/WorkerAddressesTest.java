package io.rma.coordinator.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The written shape of worker addresses, judged before any name is resolved. */
class WorkerAddressesTest {
  @ParameterizedTest
  @ValueSource(
      strings = {
        "10.0.0.5",
        "255.255.255.255",
        "0.0.0.0",
        "localhost",
        "gpu-box-1.lan",
        "Worker.Example.COM",
        "::1",
        "fd00::5",
        "[fd00::5]",
        "2001:db8:0:0:0:0:0:1",
        "::ffff:10.0.0.1",
        "1:2:3:4:5:6:7::"
      })
  void wellFormedHostsPass(String host) {
    assertThat(WorkerAddresses.hostRefusal(host)).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "1.2.3.4.5",
        "999.1.1.1",
        "256.0.0.1",
        "0177.0.0.1",
        "127.1",
        "1.2.3",
        "0x7f.0.0.1",
        "127.0.0.1 ",
        " 127.0.0.1",
        "bad_host",
        "-lead.example",
        "a..b",
        "1::2::3",
        "1:2:3:4:5:6:7:8:9",
        "12345::1",
        "::1.2.3.999",
        "10.0.0.5:8000",
        ""
      })
  void ambiguousOrMalformedHostsAreRefused(String host) {
    assertThat(WorkerAddresses.hostRefusal(host)).isPresent();
  }

  @Test
  void theRefusalSaysWhy() {
    assertThat(WorkerAddresses.hostRefusal("0177.0.0.1").orElseThrow()).contains("octal");
    assertThat(WorkerAddresses.hostRefusal("999.1.1.1").orElseThrow()).contains("above 255");
    assertThat(WorkerAddresses.hostRefusal("127.0.0.1 ").orElseThrow()).contains("spaces");
    assertThat(WorkerAddresses.hostRefusal("10.0.0.5:8000").orElseThrow()).contains("port");
    assertThat(WorkerAddresses.urlRefusal("http://127.0.0.1:99999/").orElseThrow())
        .contains("99999");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "http://10.0.0.5:8000",
        "https://abc.trycloudflare.com",
        "https://abc.trycloudflare.com/prefix/",
        "http://[fd00::5]:9000/",
        "HTTP://worker.lan"
      })
  void usableUrlsPass(String url) {
    assertThat(WorkerAddresses.urlRefusal(url)).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "http://127.0.0.1:99999/",
        "http://127.0.0.1:0/",
        "http://0177.0.0.1/",
        "http://999.1.1.1/",
        "http://host:/",
        "http://fd00::5/",
        "ftp://worker.lan/",
        "worker.lan:8000",
        "/relative",
        "http://a@worker.lan/",
        "http://worker.lan/?q=1",
        "http://worker.lan/#f",
        "http://worker.lan/ x"
      })
  void unusableUrlsAreRefused(String url) {
    assertThat(WorkerAddresses.urlRefusal(url)).isPresent();
  }

  @Test
  void literalsAreParsedWithoutLookups() throws Exception {
    assertThat(WorkerAddresses.literal("10.1.2.3")).contains(InetAddress.getByName("10.1.2.3"));
    assertThat(WorkerAddresses.literal("[::1]")).contains(InetAddress.getByName("::1"));
    assertThat(WorkerAddresses.literal("fe80::1%eth0")).contains(InetAddress.getByName("fe80::1"));
    assertThat(WorkerAddresses.literal("localhost")).isEmpty();
    assertThat(WorkerAddresses.literal("127.1")).isEmpty();
  }

  @Test
  void addressRangesMatchAddressesAndPrefixes() throws Exception {
    AddressRanges r = AddressRanges.parse(" 10.0.0.0/8, 192.168.1.7 ,fd00::/8,");
    assertThat(r.contains(InetAddress.getByName("10.200.3.4"))).isTrue();
    assertThat(r.contains(InetAddress.getByName("11.0.0.1"))).isFalse();
    assertThat(r.contains(InetAddress.getByName("192.168.1.7"))).isTrue();
    assertThat(r.contains(InetAddress.getByName("192.168.1.8"))).isFalse();
    assertThat(r.contains(InetAddress.getByName("fd12::1"))).isTrue();
    assertThat(r.contains(InetAddress.getByName("fe80::1"))).isFalse();
    assertThat(AddressRanges.parse("172.16.0.0/12").contains(InetAddress.getByName("172.31.9.9")))
        .isTrue();
    assertThat(AddressRanges.parse("172.16.0.0/12").contains(InetAddress.getByName("172.32.0.1")))
        .isFalse();
    assertThat(AddressRanges.parse("").isEmpty()).isTrue();
    assertThatThrownBy(() -> AddressRanges.parse("10.0.0.0/33"))
        .hasMessageContaining("10.0.0.0/33");
    assertThatThrownBy(() -> AddressRanges.parse("proxy.lan")).hasMessageContaining("proxy.lan");
  }
}
