package dev.warren.demo;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.RpcClient;
import com.rabbitmq.client.RpcClientParams;
import dev.warren.demo.Trial.Operation;
import dev.warren.demo.Trial.Window;
import java.util.ArrayList;
import java.util.ConcurrentModificationException;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageDeliveryMode;
import org.springframework.amqp.core.MessageProperties;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.connection.CorrelationData;
import org.springframework.amqp.rabbit.core.RabbitTemplate;

/**
 * What users write instead of Warren, the "raw" column of publish-alternatives and
 * rpc-alternatives: each is N caller threads, each a loop of one blocking operation timed the
 * way a user's own code does it ({@link #loops}).
 *
 * <ul>
 *   <li>amqp-client, confirmed publishes each waited for with {@code waitForConfirmsOrDie}, on
 *       N platform threads with a channel each, or on N virtual threads sharing a pool of
 *       channels ({@link #blockingPublish});
 *   <li>Spring AMQP's {@link RabbitTemplate}, with correlated confirms for publish
 *       ({@link #springPublish}) and {@code sendAndReceive} for rpc ({@link #springRpc});
 *   <li>amqp-client's {@link RpcClient} for rpc ({@link #rpcClient}).
 * </ul>
 */
final class Alternatives {
    /** RabbitMQ allows 2047 channels per connection; more platform threads get more connections. */
    static final int CHANNELS_PER_CONNECTION = 2000;
    /** The most channels the virtual threads of the pooled style share. */
    static final int POOL = 128;
    /**
     * Channels Spring's connection factory caches (its default is 25, under which a thousand
     * threads would open and close a channel per message); with a checkout timeout it never opens
     * more: without one it opens a channel per concurrent send, and 10,000 threads hit the broker's
     * 2047 channels per connection ({@code AmqpResourceNotAvailableException: The channelMax limit is reached}).
     */
    static final int CHANNEL_CACHE = 1000;
    private static final int TIMEOUT_MILLIS = 30_000;

    private Alternatives() {
    }

    /**
     * Blocking confirmed publishes with amqp-client, each message waited for with
     * {@code waitForConfirmsOrDie}: unless {@code pooled}, {@code threads} platform threads with
     * a channel each (a channel must not be shared while its confirms are awaited), on as many
     * connections of {@value #CHANNELS_PER_CONNECTION} channels as they need; if {@code pooled},
     * the usual port to Java 21, {@code threads} virtual threads sharing a pool of at most
     * {@value #POOL} channels on one connection, each thread taking a channel, publishing,
     * waiting for the confirm and giving the channel back. On Java 21 {@code waitForConfirms}
     * waits inside a monitor, so the virtual thread pins its carrier.
     */
    static Trial blockingPublish(String uri, String exchange, String routingKey, byte[] body, int threads,
                                 boolean pooled) throws Exception {
        int channels = pooled ? Math.min(POOL, threads) : threads;
        List<Connection> connections = new ArrayList<>();
        BlockingQueue<Channel> pool = new ArrayBlockingQueue<>(channels);
        List<Channel> own = new ArrayList<>(channels);
        try {
            for (int c = 0; c < channels; c++) {
                if (c % CHANNELS_PER_CONNECTION == 0) {
                    connections.add(BrokerFixture.connect(uri, "warren-bench-blocking-publish"));
                }
                Channel channel = connections.getLast().createChannel();
                channel.confirmSelect();
                own.add(channel);
                pool.add(channel);
            }
        } catch (Exception e) {
            connections.forEach(Connection::abort);
            throw e;
        }
        return new Trial() {
            @Override
            public long run(Window window) throws Exception {
                ThreadFactory factory = pooled ? Thread.ofVirtual().factory() : Thread.ofPlatform().factory();
                return loops(threads, factory, window, caller -> {
                    Channel channel = pooled ? pool.take() : own.get(caller);
                    try {
                        channel.basicPublish(exchange, routingKey, null, body);
                        channel.waitForConfirmsOrDie(TIMEOUT_MILLIS);
                    } finally {
                        if (pooled) {
                            pool.add(channel);
                        }
                    }
                });
            }

            @Override
            public void close() {
                connections.forEach(Connection::abort);
            }
        };
    }

    /**
     * amqp-client's {@link RpcClient} on one channel with direct reply-to, shared by
     * {@code callers} virtual threads, each a loop of {@code primitiveCall}. It sends without
     * publisher confirms (Warren's {@code call} waits for the request's confirm too).
     */
    static Trial rpcClient(String uri, String requestQueue, byte[] body, int callers) throws Exception {
        return BrokerFixture.trialOn(uri, "warren-bench-rpcclient", connection -> {
            RpcClient client = new RpcClient(new RpcClientParams()
                    .channel(connection.createChannel())
                    .exchange("")
                    .routingKey(requestQueue)
                    .replyTo(RpcBench.REPLY_TO)
                    .timeout(TIMEOUT_MILLIS));
            AMQP.BasicProperties props = new AMQP.BasicProperties();
            return new Trial() {
                @Override
                public long run(Window window) throws Exception {
                    return loops(callers, Thread.ofVirtual().factory(), window,
                            caller -> client.primitiveCall(props, body));
                }

                @Override
                public void close() {
                    connection.abort();
                }
            };
        });
    }

    /** Spring AMQP: {@code threads} virtual threads, each a send then a wait for its correlated confirm. */
    static Trial springPublish(String uri, String exchange, String routingKey, byte[] body, int threads)
            throws Exception {
        RabbitTemplate template = template(uri, "warren-bench-spring-publish",
                CachingConnectionFactory.ConfirmType.CORRELATED);
        return new Trial() {
            @Override
            public long run(Window window) throws Exception {
                return loops(threads, Thread.ofVirtual().factory(), window, caller -> {
                    CorrelationData correlation = new CorrelationData();
                    template.send(exchange, routingKey, message(body), correlation);
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
    }

    /** Spring AMQP: {@code callers} virtual threads, each a loop of {@code sendAndReceive} (direct reply-to, Spring's default). */
    static Trial springRpc(String uri, String requestQueue, byte[] body, int callers) throws Exception {
        RabbitTemplate template = template(uri, "warren-bench-spring-rpc", CachingConnectionFactory.ConfirmType.NONE);
        // The reply container starts with the first call; that belongs to opening, not to the run.
        call(template, requestQueue, body);
        return new Trial() {
            @Override
            public long run(Window window) throws Exception {
                return loops(callers, Thread.ofVirtual().factory(), window, caller -> call(template, requestQueue, body));
            }

            @Override
            public void close() {
                destroy(template);
            }
        };
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

    private static void call(RabbitTemplate template, String requestQueue, byte[] body) {
        if (template.sendAndReceive("", requestQueue, message(body)) == null) {
            throw new IllegalStateException("no reply within " + TIMEOUT_MILLIS + " ms");
        }
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
            } catch (ConcurrentModificationException e) {
                if (attempt == 5) {
                    throw e;
                }
                Thread.onSpinWait();
            }
        }
    }

    /**
     * Runs {@code threads} threads from {@code factory}, each repeating {@code operation} and
     * recording its latency until the window expires, and returns how many completed. The first
     * failure stops every thread (they are interrupted) and is thrown once all have ended.
     * Warren's channel-bound sides use its {@code fork} instead; publish-robust uses this.
     */
    static long loops(int threads, ThreadFactory factory, Window window, Operation operation) throws Exception {
        LongAdder done = new LongAdder();
        AtomicReference<Exception> failure = new AtomicReference<>();
        List<Thread> started = new ArrayList<>(threads);
        for (int t = 0; t < threads; t++) {
            int caller = t;
            started.add(factory.newThread(() -> {
                LatencyHistogram latencies = window.latencies();
                try {
                    while (!window.expired() && failure.get() == null) {
                        long t0 = System.nanoTime();
                        operation.run(caller);
                        latencies.record(System.nanoTime() - t0);
                        done.increment();
                    }
                } catch (Exception e) {
                    if (failure.compareAndSet(null, e)) {
                        started.forEach(Thread::interrupt);
                    }
                }
            }));
        }
        started.forEach(Thread::start);
        for (Thread thread : started) {
            thread.join();
        }
        if (failure.get() != null) {
            throw failure.get();
        }
        return done.sum();
    }
}
