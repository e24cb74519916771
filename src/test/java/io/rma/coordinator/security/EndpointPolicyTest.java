package io.rma.coordinator.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EndpointPolicyTest {
  private static final EndpointPolicy.Resolver FAKE_DNS =
      host ->
          switch (host) {
            case "metadata.evil.test" -> List.of(InetAddress.getByName("169.254.169.254"));
            case "mixed.evil.test" ->
                List.of(InetAddress.getByName("8.8.8.8"), InetAddress.getByName("0.0.0.0"));
            case "gpu.example.test" -> List.of(InetAddress.getByName("203.0.113.7"));
            case "lan.example.test" -> List.of(InetAddress.getByName("192.168.1.20"));
            default -> {
              if (host.matches("[0-9a-fA-F.:]+")) {
                yield List.of(InetAddress.getByName(host));
              }
              throw new UnknownHostException(host);
            }
          };

  private final EndpointPolicy open = new EndpointPolicy(true, true, FAKE_DNS);
  private final EndpointPolicy strict = new EndpointPolicy(false, false, FAKE_DNS);

  @ParameterizedTest
  @ValueSource(
      strings = {
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/",
        "http://[fe80::1]:8000/",
        "http://0.0.0.0:80",
        "http://[::]:80",
        "http://224.0.0.1/",
        "http://255.255.255.255/",
        "file:///etc/passwd",
        "gopher://10.0.0.1:70/",
        "ftp://gpu.example.test/",
        "http://user:pw@gpu.example.test/",
        "http://metadata.evil.test/",
        "http://mixed.evil.test/",
        "http://does-not-resolve.test/",
      })
  void neverAllowed(String url) {
    assertThat(open.refusal(URI.create(url))).as(url).isPresent();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "http://gpu.example.test:8000/",
        "https://203.0.113.7/",
        "http://127.0.0.1:8000/",
        "http://[::1]:8000/",
        "http://10.1.2.3:8000/",
        "http://lan.example.test/",
        "http://100.64.1.1/"
      })
  void allowedByDefault(String url) {
    assertThat(open.refusal(URI.create(url))).as(url).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "http://127.0.0.1:8000/",
        "http://[::1]:8000/",
        "http://10.1.2.3:8000/",
        "http://172.16.0.1/",
        "http://lan.example.test/",
        "http://100.64.1.1/",
        "http://[fd12::1]/"
      })
  void loopbackAndPrivateRangesCanBeDenied(String url) {
    assertThat(strict.refusal(URI.create(url))).as(url).isPresent();
  }

  @org.junit.jupiter.api.Test
  void publicAddressesStayAllowedWhenStrict() {
    assertThat(strict.refusal(URI.create("http://gpu.example.test:8000/"))).isEmpty();
  }
}
