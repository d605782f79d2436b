package dev.warren.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(RabbitExtension.class)
@Timeout(30)
class DeclaredTest {

    @Test
    void namesAreUniqueAndStartWithTheirPrefix() {
        String a = Declared.name("warren.test.declared");
        String b = Declared.name("warren.test.declared");
        assertThat(a).startsWith("warren.test.declared." + ProcessHandle.current().pid() + ".").isNotEqualTo(b);
    }

    @Test
    void deleteAllDeletesTheQueuesAndExchangesDeclaredUnderItsNamesAndPassesOverTheRest(RabbitBroker broker)
            throws Exception {
        String queue = Declared.name("warren.test.declared-q");
        String exchange = Declared.name("warren.test.declared-x");
        Declared.name("warren.test.declared-never");
        ConnectionFactory f = new ConnectionFactory();
        f.setUri(broker.uri());
        try (Connection c = f.newConnection("warren-declared-test")) {
            Channel ch = c.createChannel();
            ch.queueDeclare(queue, false, false, false, null);
            ch.exchangeDeclare(exchange, "fanout", false, false, null);

            Declared.deleteAll();

            assertThatThrownBy(() -> c.createChannel().queueDeclarePassive(queue)).hasStackTraceContaining("NOT_FOUND");
            assertThatThrownBy(() -> c.createChannel().exchangeDeclarePassive(exchange))
                    .hasStackTraceContaining("NOT_FOUND");
        }
    }
}
