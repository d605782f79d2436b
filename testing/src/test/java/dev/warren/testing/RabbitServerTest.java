package dev.warren.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.rabbitmq.client.Connection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Both servers the kit knows start nodes for real; the choice is read as documented. */
class RabbitServerTest {

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void installedServerRunsTheMachinesOwnVersion() throws Exception {
        RabbitServer server = RabbitServer.installed();
        assumeTrue(server.available(), "no rabbitmq-server is installed on this machine");
        assertThat(versionOfANodeOf(server)).doesNotStartWith("4.");
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void rabbitmq4RootRunsRabbitmq40WithItsOwnEpmd() throws Exception {
        RabbitServer server = RabbitServer.rabbitmq4();
        assumeTrue(server.available(), "no RabbitMQ 4.0 root here (run .ci/rabbitmq4-root as root)");
        PrivateNode node = PrivateNode.start(server, NodeConfig.DEFAULT);
        try {
            assertThat(version(node)).startsWith("4.0.");
            // Its CLI runs in the root too, and reaches it through the root's epmd...
            assertThat(node.ctl().run(List.of("eval", "node()."))).contains(node.nodeName);
            // ...which is not the machine's: a 3.10 CLI on the default epmd port never sees it.
            String onDefaultEpmd = Processes.run(List.of("sh", "-c", "epmd -port 4369 -names 2>&1 || true"), Map.of());
            assertThat(onDefaultEpmd).doesNotContain(node.nodeName.substring(0, node.nodeName.indexOf('@')));
        } finally {
            node.remove();
        }
    }

    @Test
    void choiceIsReadFromThePropertyThenTheEnvironment() {
        assertThat(RabbitServer.configured(null, Map.of()).isRabbitmq4()).isFalse();
        assertThat(RabbitServer.configured(null, Map.of(RabbitServer.ENVIRONMENT, "installed")).isRabbitmq4()).isFalse();
        assertThat(RabbitServer.configured(null, Map.of(RabbitServer.ENVIRONMENT, "4.0")).isRabbitmq4()).isTrue();
        assertThat(RabbitServer.configured("installed", Map.of(RabbitServer.ENVIRONMENT, "4.0")).isRabbitmq4()).isFalse();
        assertThat(RabbitServer.configured("4.0", Map.of()).isRabbitmq4()).isTrue();
        assertThatThrownBy(() -> RabbitServer.configured(null, Map.of(RabbitServer.ENVIRONMENT, "3.13")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(RabbitServer.ENVIRONMENT).hasMessageContaining("3.13");
    }

    private static String versionOfANodeOf(RabbitServer server) throws Exception {
        PrivateNode node = PrivateNode.start(server, NodeConfig.DEFAULT);
        try {
            return version(node);
        } finally {
            node.remove();
        }
    }

    private static String version(PrivateNode node) throws Exception {
        try (Connection c = RabbitBrokerTest.connect("amqp://guest:guest@127.0.0.1:" + node.amqpPort)) {
            return c.getServerProperties().get("version").toString();
        }
    }
}
