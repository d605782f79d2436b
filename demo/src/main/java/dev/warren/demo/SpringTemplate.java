package dev.warren.demo;

import com.rabbitmq.client.ConnectionFactory;
import java.util.concurrent.TimeUnit;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageDeliveryMode;
import org.springframework.amqp.core.MessageProperties;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.connection.CorrelationData;
import org.springframework.amqp.rabbit.core.RabbitTemplate;

/**
 * Spring AMQP's {@link RabbitTemplate}, the way a Spring user writes blocking code on virtual
 * threads: for publish, correlated publisher confirms, each of N virtual threads sending and
 * then waiting on its {@link CorrelationData#getFuture()}; for rpc, {@code sendAndReceive}
 * (direct reply-to, Spring's default). The connection factory caches up to
 * {@value #CHANNEL_CACHE} channels (Spring's default is 25, under which a thousand threads would
 * open and close a channel per message) and, with a checkout timeout, never opens more: without
 * one it opens a channel per concurrent send, and 10,000 threads hit the broker's 2047 channels
 * per connection ({@code AmqpResourceNotAvailableException: The channelMax limit is reached}).
 */
final class SpringTemplate {
    static final int CHANNEL_CACHE = 1000;
    private static final long TIMEOUT_MILLIS = 30_000;

    private SpringTemplate() {
    }

    /** A template on a connection factory of its own, with publisher confirms of {@code confirms}. */
    private static RabbitTemplate template(String uri, String name, CachingConnectionFactory.ConfirmType confirms)
            throws Exception {
        ConnectionFactory rabbit = new ConnectionFactory();
        rabbit.setUri(uri);
        rabbit.setAutomaticRecoveryEnabled(false);
        CachingConnectionFactory factory = new CachingConnectionFactory(rabbit);
        factory.setConnectionNameStrategy(f -> name);
        factory.setPublisherConfirmType(confirms);
        factory.setChannelCacheSize(CHANNEL_CACHE);
        factory.setChannelCheckoutTimeout(TIMEOUT_MILLIS);
        RabbitTemplate template = new RabbitTemplate(factory);
        template.setReplyTimeout(TIMEOUT_MILLIS);
        return template;
    }

    /**
     * A new message each time: the template writes its correlation id and reply-to into the
     * message's properties, so threads sharing one message would get each other's replies.
     */
    private static Message message(byte[] body) {
        MessageProperties props = new MessageProperties();
        props.setDeliveryMode(MessageDeliveryMode.NON_PERSISTENT);
        return new Message(body, props);
    }

    /**
     * Closes the template and its connection. Spring hands a confirm-mode channel back to its
     * cache only once its confirms are in, from the connection's thread, so a destroy right after
     * the last confirm can meet that hand-back ({@code ConcurrentModificationException} in
     * {@code closeChannels}, seen at 1000 threads); it is tried again, since the run is over.
     */
    private static void destroy(RabbitTemplate template) {
        template.stop();
        for (int attempt = 1; ; attempt++) {
            try {
                ((CachingConnectionFactory) template.getConnectionFactory()).destroy();
                return;
            } catch (java.util.ConcurrentModificationException e) {
                if (attempt == 5) {
                    throw e;
                }
                Thread.onSpinWait();
            }
        }
    }

    /** publish: N virtual threads, each send then wait for its correlated confirm. */
    static Contender<PublishSetup> publish() {
        return setup -> {
            RabbitTemplate template = template(setup.uri(), "warren-bench-spring-publish",
                    CachingConnectionFactory.ConfirmType.CORRELATED);
            return new Trial() {
                @Override
                public long run(Window window) throws Exception {
                    return Loops.run(setup.threads(), Thread.ofVirtual().factory(), window, caller -> {
                        CorrelationData correlation = new CorrelationData();
                        template.send(setup.exchange(), setup.routingKey(), message(setup.body()), correlation);
                        CorrelationData.Confirm confirm = correlation.getFuture().get(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
                        if (!confirm.ack()) {
                            throw new IllegalStateException("nacked: " + confirm.reason());
                        }
                    });
                }

                @Override
                public void close() {
                    destroy(template);
                }
            };
        };
    }

    /** rpc: N virtual threads, each a loop of {@code sendAndReceive}. */
    static Contender<RpcSetup> rpc() {
        return setup -> {
            RabbitTemplate template = template(setup.uri(), "warren-bench-spring-rpc",
                    CachingConnectionFactory.ConfirmType.NONE);
            // The reply container starts with the first call; that belongs to preparing, not to the run.
            call(template, setup);
            return new Trial() {
                @Override
                public long run(Window window) throws Exception {
                    return Loops.run(setup.callers(), Thread.ofVirtual().factory(), window,
                            caller -> call(template, setup));
                }

                @Override
                public void close() {
                    destroy(template);
                }
            };
        };
    }

    private static void call(RabbitTemplate template, RpcSetup setup) {
        if (template.sendAndReceive("", setup.requestQueue(), message(setup.body())) == null) {
            throw new IllegalStateException("no reply within " + TIMEOUT_MILLIS + " ms");
        }
    }
}
