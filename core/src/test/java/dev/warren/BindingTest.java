package dev.warren;

import static dev.warren.TestSupport.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.warren.testing.RabbitBroker;
import dev.warren.testing.RabbitExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Bindings made and removed: after an unbind the broker no longer routes that way. */
@ExtendWith(RabbitExtension.class)
@Timeout(30)
class BindingTest {

    @Test
    void queueUnbindStopsTheExchangeRoutingToTheQueue(RabbitBroker broker) throws Exception {
        try (BlockingConnection conn = Warren.connect(broker.uri()); BlockingChannel ch = conn.openChannel()) {
            String exchange = unique("unbind.x");
            String q = ch.queueDeclare(QueueSpec.named(unique("unbind.q")).durable(false).exclusive(true)).name();
            ch.exchangeDeclare(ExchangeSpec.direct(exchange).durable(false).autoDelete(false));
            try {
                ch.queueBind(q, exchange, "k");
                ch.publish(exchange, "k", Message.text("routed").withMandatory(true));
                assertThat(ch.queueDeclarePassive(q).messageCount()).isEqualTo(1);

                ch.queueUnbind(q, exchange, "k");
                assertThatThrownBy(() -> ch.publish(exchange, "k", Message.text("unrouted").withMandatory(true)))
                        .isInstanceOfSatisfying(UnroutableException.class, e -> assertThat(e.replyCode()).isEqualTo(312));
                assertThat(ch.queueDeclarePassive(q).messageCount()).isEqualTo(1);
                assertThat(ch.isOpen()).isTrue();
            } finally {
                ch.exchangeDelete(exchange);
            }
        }
    }

    @Test
    void exchangeUnbindStopsTheSourceRoutingThroughTheDestination(RabbitBroker broker) throws Exception {
        try (BlockingConnection conn = Warren.connect(broker.uri()); BlockingChannel ch = conn.openChannel()) {
            String source = unique("unbind.source");
            String destination = unique("unbind.destination");
            String q = ch.queueDeclare(QueueSpec.named(unique("unbind.eq")).durable(false).exclusive(true)).name();
            ch.exchangeDeclare(ExchangeSpec.direct(source).durable(false).autoDelete(false));
            ch.exchangeDeclare(ExchangeSpec.fanout(destination).durable(false).autoDelete(false));
            try {
                ch.queueBind(q, destination, "");
                ch.exchangeBind(destination, source, "k");
                ch.publish(source, "k", Message.text("routed").withMandatory(true));
                assertThat(ch.queueDeclarePassive(q).messageCount()).isEqualTo(1);

                ch.exchangeUnbind(destination, source, "k");
                assertThatThrownBy(() -> ch.publish(source, "k", Message.text("unrouted").withMandatory(true)))
                        .isInstanceOfSatisfying(UnroutableException.class, e -> assertThat(e.replyCode()).isEqualTo(312));
                // The destination itself still routes to the queue.
                ch.publish(destination, "", Message.text("direct").withMandatory(true));
                assertThat(ch.queueDeclarePassive(q).messageCount()).isEqualTo(2);
            } finally {
                ch.exchangeDelete(source);
                ch.exchangeDelete(destination);
            }
        }
    }
}
