package dev.warren.demo;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import java.io.IOException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The raw baseline for request/reply: one channel, one auto-ack consumer on
 * {@code amq.rabbitmq.reply-to}, a map from correlation id to send time, and no caller threads
 * at all: {@link RpcSetup#callers()} requests are sent up front and each reply's callback sends
 * the next one, so exactly that many calls stay in flight with no thread hand-off.
 */
final class RawRpc implements Contender<RpcSetup> {
    static final String REPLY_TO = "amq.rabbitmq.reply-to";
    /** How long after the window the calls in flight may take to come back before the run counts as stuck. */
    private static final long GRACE_SECONDS = 10;

    @Override
    public Trial prepare(RpcSetup setup) throws Exception {
        Connection connection = RawClient.connect(setup.uri(), "warren-bench-raw-rpc");
        try {
            Channel channel = connection.createChannel();
            RpcTrial trial = new RpcTrial(connection, channel, setup);
            // Direct reply-to requires the consumer before the first request.
            channel.basicConsume(REPLY_TO, true, trial.replies);
            return trial;
        } catch (Exception e) {
            connection.abort();
            throw e;
        }
    }

    private static final class RpcTrial implements Trial {
        private final Connection connection;
        private final Channel channel;
        private final RpcSetup setup;
        final Replies replies;

        /** Correlation id to the System.nanoTime() the request was sent. */
        private final ConcurrentHashMap<String, Long> pending = new ConcurrentHashMap<>();
        private final AtomicInteger inFlight = new AtomicInteger();
        private final CountDownLatch drained = new CountDownLatch(1);
        private final AtomicLong ids = new AtomicLong();
        private volatile Window window;
        // Written by the reply callback, which the channel runs one at a time; read after `drained`.
        private long answered;
        private volatile Exception failure;

        RpcTrial(Connection connection, Channel channel, RpcSetup setup) {
            this.connection = connection;
            this.channel = channel;
            this.setup = setup;
            this.replies = new Replies(channel);
        }

        @Override
        public long run(Window window) throws Exception {
            this.window = window;
            // The starter holds one count of its own, so replies to the first requests cannot
            // bring inFlight to zero before every request is out.
            inFlight.set(1);
            for (int i = 0; i < setup.callers() && !window.expired(); i++) {
                send();
            }
            leave();
            long waitNanos = window.deadlineNanos() - System.nanoTime() + TimeUnit.SECONDS.toNanos(GRACE_SECONDS);
            if (!drained.await(waitNanos, TimeUnit.NANOSECONDS)) {
                throw new TimeoutException(inFlight.get() + " calls unanswered");
            }
            if (failure != null) {
                throw failure;
            }
            return answered;
        }

        // Runs on the run() thread at first, then on the reply callback; the two overlap while
        // the first requests go out, hence the atomic id.
        private void send() throws IOException {
            String id = Long.toString(ids.incrementAndGet());
            AMQP.BasicProperties props = new AMQP.BasicProperties.Builder()
                    .replyTo(REPLY_TO)
                    .correlationId(id)
                    .build();
            inFlight.incrementAndGet();
            pending.put(id, System.nanoTime());
            channel.basicPublish("", setup.requestQueue(), false, props, setup.body());
        }

        private void leave() {
            if (inFlight.decrementAndGet() == 0) {
                drained.countDown();
            }
        }

        @Override
        public void close() throws Exception {
            connection.close();
        }

        private final class Replies extends DefaultConsumer {
            Replies(Channel channel) {
                super(channel);
            }

            @Override
            public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body) {
                Long sentAt = pending.remove(props.getCorrelationId());
                if (sentAt == null) {
                    return;
                }
                Window w = window;
                w.latencies().record(System.nanoTime() - sentAt);
                answered++;
                if (!w.expired() && failure == null) {
                    try {
                        send();
                    } catch (IOException | RuntimeException e) {
                        // The failed call stays counted in flight, so end the run from here.
                        failure = e;
                        drained.countDown();
                    }
                }
                leave();
            }
        }
    }
}
