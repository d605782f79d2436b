package dev.warren.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Each way of finding a broker that can run on this machine, exercised for real. */
@Timeout(120)
class RabbitBrokerTest {

    @Test
    void environmentVariableWins() throws Exception {
        String uri = RabbitBroker.shared().uri();
        RabbitBroker b = RabbitBroker.find(Map.of(RabbitBroker.AMQP_URI, uri), Ports.free(), false);
        assertThat(b.source()).isEqualTo(RabbitBroker.Source.ENVIRONMENT);
        assertThat(b.uri()).isEqualTo(uri);
        assertWorks(b);
    }

    @Test
    void environmentVariableMustBeAnAmqpUri() {
        assertThatThrownBy(() -> RabbitBroker.find(Map.of(RabbitBroker.AMQP_URI, "http://u:secret@h/"), 1, false))
                .isInstanceOf(BrokerUnavailableException.class)
                .hasMessageContaining("amqp://")
                .hasMessageNotContaining("secret");
    }

    @Test
    void brokerOnLocalhostIsFound() throws Exception {
        assumeTrue(Ports.listening("localhost", RabbitBroker.DEFAULT_PORT, 1000),
                "nothing listens on localhost:5672 here");
        assumeTrue(!RabbitServer.configured().isRabbitmq4(),
                "RabbitMQ 4.0 is chosen (warren.rabbitmq), so localhost:5672, the installed broker, is not probed");
        RabbitBroker b = RabbitBroker.find(Map.of(), RabbitBroker.DEFAULT_PORT, false);
        assertThat(b.source()).isEqualTo(RabbitBroker.Source.LOCALHOST);
        assertWorks(b);
    }

    @Test
    void privateNodeStartsWhereNothingListens() throws Exception {
        assumeTrue(RabbitServer.configured().available(), RabbitServer.configured() + " cannot run here");
        RabbitBroker b = RabbitBroker.find(Map.of(), Ports.free(), false);
        assertThat(b.source()).isEqualTo(RabbitBroker.Source.PRIVATE_NODE);
        assertThat(b.uri()).doesNotEndWith(":" + RabbitBroker.DEFAULT_PORT);
        assertWorks(b);
        // Its admin talks to the private node, not to the default one.
        String queue = "warren.private-node-admin";
        Connection c = connect(b.uri());
        try {
            Channel ch = c.createChannel();
            ch.queueDeclare(queue, false, false, false, null);
            b.admin().deleteQueue(queue);
            assertThatThrownBy(() -> ch.queueDeclarePassive(queue)).hasStackTraceContaining("NOT_FOUND");
        } finally {
            c.abort();
        }
    }

    @Test
    void containerPathNeedsDocker() throws Exception {
        assumeTrue(ContainerBroker.dockerAvailable(),
                "no Docker engine here, so the Testcontainers path cannot run");
        ContainerBroker c = ContainerBroker.start();
        try {
            try (Connection conn = connect(c.uri())) {
                assertThat(conn.isOpen()).isTrue();
            }
        } finally {
            c.container.stop();
        }
    }

    @Test
    void descriptionNeverShowsThePassword() {
        RabbitBroker b = RabbitBroker.find(
                Map.of(RabbitBroker.AMQP_URI, "amqp://bob:hunter2@localhost:5672/v"), 1, false);
        // The URI is not shown at all: warren-testing has no redaction of its own (core's is the one).
        assertThat(b.toString()).contains(RabbitBroker.AMQP_URI).doesNotContain("hunter2");
        assertThat(b.admin().vhost()).isEqualTo("v");
    }

    private static void assertWorks(RabbitBroker b) throws Exception {
        try (Connection c = connect(b.uri()); Channel ch = c.createChannel()) {
            String q = ch.queueDeclare().getQueue();
            ch.basicPublish("", q, null, "ping".getBytes());
            assertThat(new String(waitForMessage(ch, q))).isEqualTo("ping");
        }
    }

    static byte[] waitForMessage(Channel ch, String q) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < deadline) {
            var r = ch.basicGet(q, true);
            if (r != null) {
                return r.getBody();
            }
            Thread.onSpinWait();
        }
        throw new AssertionError("no message on " + q);
    }

    static Connection connect(String uri) throws Exception {
        ConnectionFactory f = new ConnectionFactory();
        f.setUri(uri);
        return f.newConnection("warren-testing");
    }
}
