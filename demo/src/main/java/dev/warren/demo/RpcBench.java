package dev.warren.demo;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.ShutdownSignalException;
import dev.warren.BlockingChannel;
import dev.warren.BlockingConnection;
import dev.warren.Message;
import dev.warren.Warren;
import dev.warren.demo.Bench.Row;
import dev.warren.demo.Trial.Opener;
import dev.warren.demo.Trial.Window;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * rpc: request/reply through direct reply-to against a raw echo server in this JVM, on a
 * connection of its own ({@link Server}); the server's CPU is not charged to either side.
 * rpc-alternatives runs Warren against what users would write instead ({@link Alternatives}).
 */
final class RpcBench implements Bench.Scenario {
    /** Calls in flight per row. */
    private static final List<Integer> CALLERS = List.of(1, 100, 1000);
    /** Direct reply-to's pseudo-queue: replies come back on the consuming channel, no queue declared. */
    static final String REPLY_TO = "amq.rabbitmq.reply-to";
    /** How long after the window the raw side's calls in flight may take to come back before the run counts as stuck. */
    private static final long GRACE_SECONDS = 10;
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    /** A group of rows: the name it adds to the row key ("" for none) and its two sides. */
    private record Group(String name, Opener raw, Opener warren) {
    }

    private final BrokerFixture fixture;
    private final BenchOptions options;
    private final String name;
    private final String queue;
    private final byte[] body;
    /** Replaced when found closed: a test suite sharing the broker may close every connection. */
    private Server server;

    private RpcBench(BrokerFixture fixture, BenchOptions options, String name, String queue, Server server) {
        this.fixture = fixture;
        this.options = options;
        this.name = name;
        this.queue = queue;
        this.server = server;
        this.body = new byte[options.size()];
    }

    /** Opens rpc or rpc-alternatives: declares the request queue and starts the echo server on it. */
    static RpcBench open(String name, BrokerFixture fixture, BenchOptions options) throws Exception {
        String queue = fixture.declareQueue("rpc-requests");
        return new RpcBench(fixture, options, name, queue, Server.start(fixture.uri(), queue));
    }

    private List<Group> groups() {
        if (name.equals("rpc-alternatives")) {
            return List.of(
                    new Group("vs-amqp-rpcclient", callers -> Alternatives.rpcClient(fixture.uri(), queue, body, callers),
                            this::warren),
                    new Group("vs-spring", callers -> Alternatives.springRpc(fixture.uri(), queue, body, callers),
                            this::warren));
        }
        return List.of(new Group("", this::raw, this::warren));
    }

    @Override
    public List<Row> rows() {
        List<Row> rows = new ArrayList<>();
        for (Group group : groups()) {
            String prefix = group.name().isEmpty() ? name : name + "/" + group.name();
            for (int callers : CALLERS) {
                rows.add(Row.throughput(prefix + "/callers=" + callers,
                        Trial.warmedUp(options, length -> trial(group.raw(), callers, length)),
                        Trial.warmedUp(options, length -> trial(group.warren(), callers, length))));
            }
        }
        return rows;
    }

    /**
     * One trial of {@code side} against a running server with an empty request queue. When the
     * trial fails because the server's connection closed, that is the cause thrown.
     */
    private Sample trial(Opener side, int callers, Duration length) throws Exception {
        if (!server.isOpen()) {
            server = Server.start(fixture.uri(), queue);
        }
        fixture.purge(queue);
        try {
            return Trial.measure(() -> side.open(callers), length, server::cpuNanos);
        } catch (Exception e) {
            if (server.isOpen()) {
                throw e;
            }
            IOException stopped = new IOException("the RPC server's connection closed: "
                    + server.closeReason().getMessage(), server.closeReason());
            stopped.addSuppressed(e);
            throw stopped;
        }
    }

    /**
     * The raw side: one channel, one auto-ack consumer on {@code amq.rabbitmq.reply-to}, a map
     * from correlation id to send time, and no caller threads at all: {@code callers} requests are
     * sent up front and each reply's callback sends the next one, so exactly that many calls stay
     * in flight with no thread hand-off.
     */
    private Trial raw(int callers) throws Exception {
        return BrokerFixture.trialOn(fixture.uri(), "warren-bench-raw-rpc", connection -> {
            Channel channel = connection.createChannel();
            RawCalls calls = new RawCalls(connection, channel, callers);
            // Direct reply-to requires the consumer before the first request.
            channel.basicConsume(REPLY_TO, true, calls.replies);
            return calls;
        });
    }

    /** The raw side's trial: the requests in flight and the callback that answers each with the next. */
    private final class RawCalls implements Trial {
        private final Connection connection;
        private final Channel channel;
        private final int callers;
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

        RawCalls(Connection connection, Channel channel, int callers) {
            this.connection = connection;
            this.channel = channel;
            this.callers = callers;
            this.replies = new Replies(channel);
        }

        @Override
        public long run(Window window) throws Exception {
            this.window = window;
            // The starter holds one count of its own, so replies to the first requests cannot
            // bring inFlight to zero before every request is out.
            inFlight.set(1);
            for (int i = 0; i < callers && !window.expired(); i++) {
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
            channel.basicPublish("", queue, false, props, body);
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
            public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props, byte[] reply) {
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

    /** Warren's side: {@code callers} virtual threads, each a plain loop of {@code call}. */
    private Trial warren(int callers) throws Exception {
        BlockingConnection conn = Warren.connect(fixture.uri());
        BlockingChannel ch = conn.openChannel();
        Message request = Message.of(body);
        // The reply consumer is set up by the first call; that belongs to opening, not to the run.
        ch.call("", queue, request, TIMEOUT);
        return new Trial() {
            @Override
            public long run(Window window) throws Exception {
                return Trial.forked(ch, callers, window, caller -> ch.call("", queue, request, TIMEOUT));
            }

            @Override
            public void close() {
                ch.close();
                conn.close();
            }
        };
    }

    @Override
    public String note() {
        if (name.equals("rpc-alternatives")) {
            return "rpc-alternatives: rpc (" + options.size() + "-byte echo calls, the same server) with Warren in the"
                    + " 'warren' column as in rpc, and in the 'raw' column what users write instead of it, `callers`"
                    + " virtual threads each a loop of calls: /vs-amqp-rpcclient, amqp-client's RpcClient on one channel"
                    + " with direct reply-to (no publisher confirms; Warren's call waits for its request's confirm too);"
                    + " /vs-spring, Spring AMQP's RabbitTemplate.sendAndReceive (direct reply-to, its default).";
        }
        return "rpc: calls/s and latency of " + options.size() + "-byte echo calls over direct reply-to, `callers` in flight;"
                + " server: raw, auto-ack, same JVM, its CPU excluded. raw: one channel, one auto-ack reply consumer,"
                + " each reply's callback sends the next request (no caller threads); warren: `callers` virtual threads in call().";
    }

    @Override
    public void close() throws Exception {
        try {
            server.close();
        } finally {
            fixture.deleteQueue(queue);
        }
    }

    /**
     * The server both sides call, with the raw client on its own connection: it consumes the
     * request queue with auto-ack and echoes each body to {@code replyTo} with the request's
     * correlation id.
     *
     * <p>It runs in the benchmark's JVM, so it keeps track of its threads' CPU time: the trial
     * subtracts it from the process CPU to charge each side only for its client.
     */
    static final class Server implements AutoCloseable {
        private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

        private final Connection connection;
        private final List<Thread> threads;

        private Server(Connection connection, List<Thread> threads) {
            this.connection = connection;
            this.threads = threads;
        }

        /** Starts serving {@code requestQueue} on a new connection to {@code uri}. */
        static Server start(String uri, String requestQueue) throws Exception {
            List<Thread> threads = new CopyOnWriteArrayList<>();
            ThreadFactory base = Executors.defaultThreadFactory();
            ThreadFactory recording = task -> {
                Thread t = base.newThread(task);
                threads.add(t);
                return t;
            };
            Connection connection = BrokerFixture.connect(uri, "warren-bench-rpc-server", recording);
            try {
                Channel channel = connection.createChannel();
                channel.basicConsume(requestQueue, true, new DefaultConsumer(channel) {
                    @Override
                    public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties request,
                                               byte[] body) throws IOException {
                        AMQP.BasicProperties reply = new AMQP.BasicProperties.Builder()
                                .correlationId(request.getCorrelationId())
                                .build();
                        getChannel().basicPublish("", request.getReplyTo(), false, reply, body);
                    }
                });
                return new Server(connection, threads);
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

        /** Whether the server's connection is still open. */
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
    }
}
