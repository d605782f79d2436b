package dev.warren.demo;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.ShutdownSignalException;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;

/**
 * The server side of the rpc scenario, with the raw client on its own connection: it consumes
 * the request queue with auto-ack and echoes each body to {@code replyTo} with the request's
 * correlation id. Both sides call the same server.
 *
 * <p>It runs in the benchmark's JVM, so it keeps track of its threads' CPU time: the harness
 * subtracts it from the process CPU to charge each side only for its client.
 */
final class RpcServer implements AutoCloseable {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private final Connection connection;
    private final List<Thread> threads;

    private RpcServer(Connection connection, List<Thread> threads) {
        this.connection = connection;
        this.threads = threads;
    }

    /** Starts serving {@code requestQueue} on a new connection to {@code uri}. */
    static RpcServer start(String uri, String requestQueue) throws Exception {
        List<Thread> threads = new CopyOnWriteArrayList<>();
        ThreadFactory base = Executors.defaultThreadFactory();
        ThreadFactory recording = task -> {
            Thread t = base.newThread(task);
            threads.add(t);
            return t;
        };
        Connection connection = RawClient.connect(uri, "warren-bench-rpc-server", recording);
        try {
            Channel channel = connection.createChannel();
            channel.basicConsume(requestQueue, true, new EchoConsumer(channel));
            return new RpcServer(connection, threads);
        } catch (Exception e) {
            connection.abort();
            throw e;
        }
    }

    /** CPU nanoseconds the server's threads have used so far. */
    long cpuNanos() {
        long sum = 0;
        for (Thread t : threads) {
            long cpu = THREADS.getThreadCpuTime(t.threadId());
            if (cpu > 0) {
                sum += cpu;
            }
        }
        return sum;
    }

    boolean isOpen() {
        return connection.isOpen();
    }

    /** Why the server's connection closed, or null while it is open. */
    ShutdownSignalException closeReason() {
        return connection.getCloseReason();
    }

    @Override
    public void close() throws IOException {
        if (connection.isOpen()) {
            connection.close();
        }
    }

    private static final class EchoConsumer extends DefaultConsumer {
        EchoConsumer(Channel channel) {
            super(channel);
        }

        @Override
        public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties request, byte[] body)
                throws IOException {
            AMQP.BasicProperties reply = new AMQP.BasicProperties.Builder()
                    .correlationId(request.getCorrelationId())
                    .build();
            getChannel().basicPublish("", request.getReplyTo(), false, reply, body);
        }
    }
}
