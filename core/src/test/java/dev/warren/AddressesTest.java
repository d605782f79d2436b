package dev.warren;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.warren.testing.RabbitBroker;
import dev.warren.testing.RabbitExtension;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Cluster addresses: tried in turn; a failure names each one and why; and the backoff policy. */
@ExtendWith(RabbitExtension.class)
@Timeout(30)
class AddressesTest {

    /** A loopback port nothing listens on (bound, then released). */
    private static int deadPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static String brokerAddress(RabbitBroker broker) {
        URI u = URI.create(broker.uri());
        return u.getHost() + ":" + (u.getPort() == -1 ? 5672 : u.getPort());
    }

    @Test
    void aConnectionTriesTheAddressesInTurnAndTakesTheFirstThatAccepts(RabbitBroker broker) throws Exception {
        String live = brokerAddress(broker);
        try (BlockingConnection c = Warren.connect(ConnectionOptions.of(broker.uri())
                .withAddresses("127.0.0.1:" + deadPort(), "127.0.0.1:" + deadPort(), live))) {
            assertThat(c.isOpen()).isTrue();
            assertThat(c.unwrap().getPort()).isEqualTo(URI.create("amqp://" + live).getPort());
        }
    }

    @Test
    void connectFailedNamesEveryAddressTriedAndWhyEachFailed(RabbitBroker broker) throws Exception {
        int a = deadPort();
        int b = deadPort();
        String uri = TestSupport.withCredentials(broker.uri(), "guest", "hunter2");
        assertThatThrownBy(() -> Warren.connect(ConnectionOptions.of(uri)
                .withAddresses("127.0.0.1:" + a, "127.0.0.1:" + b)))
                .isInstanceOf(ConnectFailedException.class)
                .hasMessageContaining("127.0.0.1:" + a + ": connection refused")
                .hasMessageContaining("127.0.0.1:" + b + ": connection refused")
                .hasMessageNotContaining("hunter2")
                .satisfies(e -> {
                    ConnectFailedException f = (ConnectFailedException) e;
                    assertThat(f.attempts()).hasSize(2);
                    assertThat(f.port()).isEqualTo(b);
                    assertThat(f.getSuppressed()).hasSize(1);
                    assertThat(f.accessRefused()).isFalse();
                });
    }

    @Test
    void aMalformedAddressIsRejectedAtOnce() {
        ConnectionOptions o = ConnectionOptions.of("amqp://localhost");
        assertThatThrownBy(() -> o.withAddresses("localhost")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> o.withAddresses("localhost:0")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> o.withAddresses("::1:5672")).isInstanceOf(IllegalArgumentException.class);
        assertThat(o.withAddresses("[::1]:5672", "rabbit-2:5673").addresses()).containsExactly("[::1]:5672",
                "rabbit-2:5673");
    }

    @Test
    void theBackoffGrowsExponentiallyWithJitterUpToItsMaximum() {
        RecoveryPolicy p = RecoveryPolicy.backoff(Duration.ofMillis(100), Duration.ofSeconds(1));
        for (int i = 0; i < 200; i++) {
            assertThat(p.delayBefore(1)).isBetween(Duration.ofMillis(50), Duration.ofMillis(100));
            assertThat(p.delayBefore(3)).isBetween(Duration.ofMillis(200), Duration.ofMillis(400));
            assertThat(p.delayBefore(40)).isBetween(Duration.ofMillis(500), Duration.ofSeconds(1));
        }
        assertThat(p.maxAttempts()).isZero();
        assertThat(p.withMaxAttempts(3).maxAttempts()).isEqualTo(3);
        assertThatThrownBy(() -> p.withMaxAttempts(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RecoveryPolicy.backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
