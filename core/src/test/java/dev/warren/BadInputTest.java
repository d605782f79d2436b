package dev.warren;

import static dev.warren.TestSupport.awaitNoAmqpThreads;
import static dev.warren.TestSupport.unique;
import static dev.warren.TestSupport.withCredentials;
import static dev.warren.TestSupport.withVhost;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.warren.testing.RabbitBroker;
import dev.warren.testing.RabbitExtension;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Misuse and unusable connection parameters: each gives a clear exception, and nothing stays open. */
@ExtendWith(RabbitExtension.class)
@Timeout(30)
class BadInputTest {

    @Test
    void nullNamesAreRejectedWithNullPointerExceptionBeforeAnythingIsSent(RabbitBroker broker) throws Exception {
        try (BlockingConnection conn = Warren.connect(broker.uri()); BlockingChannel ch = conn.openChannel()) {
            assertThatThrownBy(() -> QueueSpec.named(null)).isInstanceOf(NullPointerException.class)
                    .hasMessageContaining("queue name");
            assertThatThrownBy(() -> ch.queueDeclare(null)).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> ch.queueDeclarePassive(null)).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> ch.queueBind("q", null, "")).isInstanceOf(NullPointerException.class)
                    .hasMessageContaining("exchange name");
            assertThatThrownBy(() -> ch.exchangeDelete(null)).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> ch.fork((java.util.concurrent.Callable<?>) null))
                    .isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> ch.fork((ThrowingRunnable) null)).isInstanceOf(NullPointerException.class);
            assertThat(ch.isOpen()).isTrue();
            assertThat(ch.queueDeclare(QueueSpec.serverNamed()).name()).startsWith("amq.gen-");
        }
    }

    @Test
    void blankNamesAreRejectedWithIllegalArgumentExceptionBeforeAnythingIsSent(RabbitBroker broker)
            throws Exception {
        try (BlockingConnection conn = Warren.connect(broker.uri()); BlockingChannel ch = conn.openChannel()) {
            assertThatThrownBy(() -> QueueSpec.named(" ")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("blank");
            assertThatThrownBy(() -> ch.queueDeclarePassive("")).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> ch.queuePurge("\t")).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> ch.exchangeDeclarePassive(" ")).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> ch.exchangeBind("", "amq.direct", "k"))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThat(ch.isOpen()).isTrue();
            assertThat(ch.queueDeclare(QueueSpec.serverNamed()).name()).startsWith("amq.gen-");
        }
    }

    @Test
    void namesOver255BytesInUtf8AreRejectedAnd255AreAccepted(RabbitBroker broker) throws Exception {
        String twoByteChars = "é".repeat(128); // 128 chars, 256 bytes
        assertThatThrownBy(() -> QueueSpec.named(twoByteChars)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("256 bytes");
        String routingKey = "k".repeat(256);
        try (BlockingConnection conn = Warren.connect(broker.uri()); BlockingChannel ch = conn.openChannel()) {
            assertThatThrownBy(() -> ch.queueBind("q", "amq.direct", routingKey))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("routing key");
            assertThatThrownBy(() -> ch.queueDeclarePassive(twoByteChars))
                    .isInstanceOf(IllegalArgumentException.class);
            String prefix = unique("long") + ".";
            String longest = prefix + "x".repeat(255 - prefix.length());
            DeclaredQueue q = ch.queueDeclare(QueueSpec.named(longest).withDurable(false).withExclusive(true));
            assertThat(q.name()).isEqualTo(longest);
        }
    }

    @Test
    void malformedUriGivesIllegalArgumentExceptionWithoutThePassword() {
        assertThatThrownBy(() -> ConnectionOptions.of(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> ConnectionOptions.of("  ")).isInstanceOf(IllegalArgumentException.class);
        for (String uri : new String[] {"amqp://guest:s3cretPw@local host:5672", "http://guest:s3cretPw@localhost",
                "amqp://guest:s3cretPw@localhost:notaport"}) {
            assertThatThrownBy(() -> Warren.connect(uri)).as(uri).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("malformed AMQP URI")
                    .satisfies(e -> assertThat(fullTrace(e)).doesNotContain("s3cretPw"));
        }
        // An '@' left unencoded in the password: the URI is malformed, and no part of it is shown.
        String withAt = "amqp://guest:s3cr@tPw@localhost:5672";
        assertThatThrownBy(() -> Warren.connect(withAt)).isInstanceOf(IllegalArgumentException.class)
                .satisfies(e -> assertThat(fullTrace(e)).doesNotContain("tPw"));
        assertThat(ConnectionOptions.of(withAt).toString()).doesNotContain("tPw");
        awaitNoAmqpThreads();
    }

    @Test
    void unknownHostGivesConnectFailedException() {
        String host = "warren-no-such-host-" + System.nanoTime() + ".invalid";
        assertThatThrownBy(() -> Warren.connect("amqp://guest:s3cretPw@" + host + ":5672"))
                .isInstanceOfSatisfying(ConnectFailedException.class, e -> {
                    assertThat(e.host()).isEqualTo(host);
                    assertThat(e.port()).isEqualTo(5672);
                    assertThat(e).hasMessageContaining(host).hasMessageContaining("unknown host");
                    assertThat(fullTrace(e)).doesNotContain("s3cretPw");
                });
        awaitNoAmqpThreads();
    }

    @Test
    void refusedConnectionGivesConnectFailedException() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        int closedPort = port;
        assertThatThrownBy(() -> Warren.connect("amqp://guest:guest@localhost:" + closedPort))
                .isInstanceOfSatisfying(ConnectFailedException.class, e -> {
                    assertThat(e.port()).isEqualTo(closedPort);
                    assertThat(e).hasMessageContaining("connection refused");
                });
        awaitNoAmqpThreads();
    }

    @Test
    void wrongCredentialsGiveConnectFailedException403WithoutThePassword(RabbitBroker broker) {
        String password = "wrong-" + System.nanoTime();
        assertThatThrownBy(() -> Warren.connect(withCredentials(broker.uri(), "guest", password)))
                .isInstanceOfSatisfying(ConnectFailedException.class, e -> {
                    assertThat(e).hasMessageContaining("403").hasMessageContaining("ACCESS_REFUSED");
                    assertThat(fullTrace(e)).doesNotContain(password);
                    assertThat(e.toString()).doesNotContain(password);
                });
        awaitNoAmqpThreads();
    }

    @Test
    void unknownVhostGivesConnectFailedExceptionNamingIt(RabbitBroker broker) {
        String vhost = unique("no-such-vhost");
        assertThatThrownBy(() -> Warren.connect(withVhost(broker.uri(), vhost)))
                .isInstanceOfSatisfying(ConnectFailedException.class, e -> {
                    assertThat(e.virtualHost()).isEqualTo(vhost);
                    assertThat(e).hasMessageContaining(vhost).hasMessageContaining("NOT_ALLOWED");
                    assertThat(fullTrace(e)).doesNotContain("guest:guest");
                });
        awaitNoAmqpThreads();
    }

    private static String fullTrace(Throwable t) {
        StringWriter w = new StringWriter();
        t.printStackTrace(new PrintWriter(w));
        return w.toString();
    }
}
