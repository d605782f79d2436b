package dev.warren;

import static dev.warren.TestSupport.awaitNoAmqpThreads;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.warren.testing.RabbitBroker;
import dev.warren.testing.RabbitExtension;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Connection settings: bounds checked at the option, the URI's parameters honoured, ZERO heartbeat off. */
@ExtendWith(RabbitExtension.class)
@Timeout(30)
class ConnectionOptionsTest {
    static final String SPECIAL_PASSWORD = TestSecrets.PASSWORD_WITH_SPECIALS;

    @Test
    void aHugePublishTimeoutSaturatesAndPublishingStillWorks(RabbitBroker broker) throws Exception {
        ConnectionOptions options = ConnectionOptions.of(broker.uri())
                .withPublishTimeout(Duration.ofSeconds(Long.MAX_VALUE));
        assertThat(options.publishTimeout()).isEqualTo(Duration.ofNanos(Long.MAX_VALUE / 4));
        try (BlockingConnection conn = Warren.connect(options); BlockingChannel ch = conn.openChannel()) {
            String q = ch.queueDeclare(QueueSpec.serverNamed()).name();
            ch.publish("", q, "x".getBytes());
            assertThat(ch.get(q)).hasValueSatisfying(d -> assertThat(d.body()).isEqualTo("x".getBytes()));
        }
    }

    @Test
    void aHugeConnectTimeoutSaturatesAndConnectingAndClosingStillWork(RabbitBroker broker) throws Exception {
        ConnectionOptions options = ConnectionOptions.of(broker.uri())
                .withConnectTimeout(Duration.ofSeconds(Long.MAX_VALUE));
        assertThat(options.connectTimeout()).isEqualTo(Duration.ofMillis(Integer.MAX_VALUE));
        try (BlockingConnection conn = Warren.connect(options); BlockingChannel ch = conn.openChannel()) {
            assertThat(ch.isOpen()).isTrue();
        }
        awaitNoAmqpThreads();
    }

    @Test
    void aZeroHeartbeatTurnsHeartbeatsOff(RabbitBroker broker) throws Exception {
        try (BlockingConnection conn = Warren.connect(ConnectionOptions.of(broker.uri()).withHeartbeat(Duration.ZERO))) {
            assertThat(conn.unwrap().getHeartbeat()).isZero();
        }
    }

    @Test
    void aHeartbeatUnderASecondIsRejectedAndFractionsRoundUp() {
        ConnectionOptions o = ConnectionOptions.of("amqp://localhost");
        assertThatThrownBy(() -> o.withHeartbeat(Duration.ofMillis(500)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 1 s");
        assertThatThrownBy(() -> o.withHeartbeat(Duration.ofSeconds(65536)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("65535");
        assertThat(o.withHeartbeat(Duration.ofMillis(1500)).heartbeat()).isEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void theUrisHeartbeatIsHonouredUnlessAnOptionOverridesIt(RabbitBroker broker) throws Exception {
        String uri = broker.uri() + "?heartbeat=7";
        try (BlockingConnection conn = Warren.connect(uri)) {
            assertThat(conn.unwrap().getHeartbeat()).isEqualTo(7);
        }
        try (BlockingConnection conn = Warren.connect(ConnectionOptions.of(uri).withHeartbeat(Duration.ofSeconds(9)))) {
            assertThat(conn.unwrap().getHeartbeat()).isEqualTo(9);
        }
    }

    @Test
    void theUrisChannelMaxFrameMaxAndConnectionTimeoutBecomeOptions(RabbitBroker broker) throws Exception {
        ConnectionOptions o = ConnectionOptions.of(broker.uri()
                + "?channel_max=17&frame_max=8192&connection_timeout=4321&unknown=ignored");
        assertThat(o.channelMax()).isEqualTo(17);
        assertThat(o.frameMax()).isEqualTo(8192);
        assertThat(o.connectTimeout()).isEqualTo(Duration.ofMillis(4321));
        try (BlockingConnection conn = Warren.connect(o)) {
            assertThat(conn.unwrap().getChannelMax()).isEqualTo(17);
            assertThat(conn.unwrap().getFrameMax()).isEqualTo(8192);
        }
        assertThat(o.withChannelMax(3).channelMax()).isEqualTo(3);
        assertThatThrownBy(() -> ConnectionOptions.of("amqp://localhost?heartbeat=soon"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("heartbeat")
                .hasMessageContaining("whole number of seconds");
        assertThatThrownBy(() -> ConnectionOptions.of("amqp://localhost?frame_max=100"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("frame_max");
    }

    @Test
    void aUriWithoutTheAmqpSchemeIsRejectedNamingTheExpectedForm() {
        for (String uri : new String[] {"//127.0.0.1:5681", "amqp//guest:" + SPECIAL_PASSWORD + "@localhost",
                "127.0.0.1:5672"}) {
            assertThatThrownBy(() -> Warren.connect(uri)).as(uri).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("expected amqp://user:password@host:port/vhost or amqps://");
        }
    }

    @Test
    void aFrameMaxUnderAmqpsMinimumIsRejectedAtTheOption() {
        ConnectionOptions o = ConnectionOptions.of("amqp://localhost");
        assertThatThrownBy(() -> o.withFrameMax(100)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("4096");
        assertThatThrownBy(() -> o.withFrameMax(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(o.withFrameMax(0).frameMax()).isZero();
        assertThat(o.withFrameMax(4096).frameMax()).isEqualTo(4096);
    }

    @Test
    void redactionHidesAPasswordWithSlashAtSignAndPercent() {
        String uri = "amqp://guest:" + SPECIAL_PASSWORD + "@localhost:5672/vh";
        ConnectionOptions o = ConnectionOptions.of(uri);
        assertThat(o.redactedUri()).isEqualTo("amqp://guest:***@localhost:5672/vh");
        assertThat(o.toString()).doesNotContain(SPECIAL_PASSWORD).doesNotContain("p@ss");
        assertThat(ConnectionOptions.of("amqp://u:a/b@host").redactedUri()).isEqualTo("amqp://u:***@host");
    }

    @Test
    void aPasswordWithSlashIsNotShownWhenTheConnectFails() {
        String uri = "amqp://guest:" + SPECIAL_PASSWORD + "@localhost:1/";
        Throwable e = TestSupport.caught(() -> Warren.connect(uri));
        // Unescaped, its '/' and '@' make the URI ambiguous: refused before any connect, shown redacted.
        assertThat(e).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("guest:***@");
        assertThat(TestSecrets.fullTrace(e)).doesNotContain(SPECIAL_PASSWORD).doesNotContain("ss%wo");
        TestSecrets.record(e);
    }
}
