package dev.warren.demo;

import dev.warren.BlockingChannel;
import dev.warren.BlockingConnection;
import dev.warren.ChannelClosedException;
import dev.warren.ClosedException;
import dev.warren.ConnectionClosedException;
import dev.warren.ConnectionOptions;
import dev.warren.ConsumeOptions;
import dev.warren.Delivery;
import dev.warren.ExchangeSpec;
import dev.warren.Message;
import dev.warren.QueueSpec;
import dev.warren.RecoveryListener;
import dev.warren.RecoveryPolicy;
import dev.warren.RobustConnection;
import dev.warren.Subscription;
import dev.warren.Subtask;
import dev.warren.Supervised;
import dev.warren.Warren;
import dev.warren.testing.BrokerAdmin;
import dev.warren.testing.RabbitBroker;
import java.io.PrintStream;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A guided tour of Warren against a real broker, in seven steps: topology, 1000 confirmed
 * publishes from 1000 virtual threads, a bounded worker pool of handlers, request/reply, a
 * channel error that cancels its siblings, a forced connection close, and the same close
 * survived by a robust connection's publisher and supervised consumer. Run it with the
 * README's demo command; it finishes in well under a minute and leaves nothing behind on the
 * broker, also when interrupted with Ctrl-C.
 */
public final class Demo {
    static final String EXCHANGE = "warren.demo.orders";
    static final String ORDERS = "warren.demo.orders";
    static final String PRICES = "warren.demo.prices";
    static final String FORBIDDEN = "warren.demo.forbidden";
    static final String LIMITED_USER = "warren-demo-limited";
    static final String CONNECTION_NAME = "warren-demo";
    static final int ORDER_COUNT = 1000;
    static final String ROBUST_NAME = "warren-demo-robust";
    static final int ROBUST_ORDERS = 200;

    private final PrintStream out;
    private final RabbitBroker broker;
    private final AtomicBoolean cleaned = new AtomicBoolean();
    /** Every connection of the tour reports to these meters; the summary at the end reads them. */
    private final MetricsSummary metrics = new MetricsSummary();

    Demo(PrintStream out, RabbitBroker broker) {
        this.out = out;
        this.broker = broker;
    }

    /** Runs the tour on the broker that {@link RabbitBroker#shared()} finds; exits non-zero if a step fails. */
    public static void main(String[] args) throws Exception {
        Demo demo = new Demo(System.out, RabbitBroker.shared());
        Thread cleanup = new Thread(demo::cleanUp, "warren-demo-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);
        demo.run();
    }

    void run() throws Exception {
        long start = System.nanoTime();
        out.println("Warren demo, using " + broker);
        try {
            ConnectionOptions options = ConnectionOptions.of(broker.uri()).withConnectionName(CONNECTION_NAME)
                    .withObserver(metrics.observer());
            BlockingConnection conn = Warren.connect(options);
            out.println("The broker is RabbitMQ " + conn.unwrap().getServerProperties().get("version"));
            try (BlockingChannel ch = conn.openChannel()) {
                topology(ch);
                publishOrders(ch);
                handleOrders(ch);
                priceLookup(conn, ch);
            }
            channelError();
            forcedClose(conn);
            conn.close();
            survive(options.withConnectionName(ROBUST_NAME));
        } finally {
            cleanUp();
        }
        metrics.print(out);
        out.printf("%nDone in %.1f s. Nothing was left on the broker.%n", seconds(start));
    }

    /** Step 1: the blocking topology calls. */
    private void topology(BlockingChannel ch) throws InterruptedException {
        step(1, "Connect, open a channel, declare an exchange, a queue and a binding");
        long t0 = System.nanoTime();
        ch.exchangeDeclare(ExchangeSpec.direct(EXCHANGE).withDurable(false).withAutoDelete(false));
        var q = ch.queueDeclare(QueueSpec.named(ORDERS).withDurable(false));
        ch.queueBind(ORDERS, EXCHANGE, "order");
        say("exchange '%s' (direct), queue '%s' (%d messages), bound with key 'order'",
                EXCHANGE, q.name(), q.messageCount());
        took(t0);
    }

    /** Step 2: 1000 virtual threads, each a straight line: publish, return when confirmed. */
    private void publishOrders(BlockingChannel ch) throws InterruptedException {
        step(2, "1000 virtual threads each publish a confirmed order");
        long t0 = System.nanoTime();
        for (int i = 1; i <= ORDER_COUNT; i++) {
            int id = i;
            ch.fork(() -> {
                ch.publish(EXCHANGE, "order", Message.text("order-" + id).withMessageId("order-" + id));
            });
        }
        ch.join();
        say("all %d publish() calls returned: the broker confirmed every order", ORDER_COUNT);
        say("queue '%s' now holds %d messages", ORDERS, ch.queueDeclarePassive(ORDERS).messageCount());
        took(t0);
    }

    /** Step 3: a bounded worker pool, each delivery a subtask; return acks. */
    private void handleOrders(BlockingChannel ch) throws InterruptedException {
        step(3, "A pool of handlers consumes the orders with acks, at most 16 at once");
        long t0 = System.nanoTime();
        AtomicInteger running = new AtomicInteger();
        AtomicInteger mostAtOnce = new AtomicInteger();
        AtomicInteger handled = new AtomicInteger();
        CountDownLatch allHandled = new CountDownLatch(ORDER_COUNT);
        Subscription orders = ch.consume(ORDERS, ConsumeOptions.defaults().withPrefetch(100));
        ch.fork(() -> {
            orders.handle(16, delivery -> {
                mostAtOnce.accumulateAndGet(running.incrementAndGet(), Math::max);
                try {
                    Thread.sleep(Duration.ofMillis(1)); // the "work"
                    handled.incrementAndGet();
                } finally {
                    running.decrementAndGet();
                    allHandled.countDown();
                }
            });
        });
        if (!allHandled.await(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("orders were not all handled within 60 s");
        }
        orders.close();
        ch.join();
        say("%d orders handled and acked; at most %d handlers ran at once", handled.get(), mostAtOnce.get());
        took(t0);
    }

    /** Step 4: request/reply over direct reply-to, the server on its own channel. */
    private void priceLookup(BlockingConnection conn, BlockingChannel ch) throws InterruptedException {
        step(4, "A price lookup over request/reply (direct reply-to)");
        long t0 = System.nanoTime();
        try (BlockingChannel server = conn.openChannel()) {
            server.queueDeclare(QueueSpec.named(PRICES).withDurable(false));
            server.fork(() -> {
                server.serve(PRICES, request -> Message.text(price(request.bodyAsString())));
            });
            long c0 = System.nanoTime();
            Delivery reply = ch.call("", PRICES, Message.text("WRN"), Duration.ofSeconds(5));
            say("call(\"WRN\") returned %s in %.1f ms", reply.bodyAsString(), millis(c0));
            long c1 = System.nanoTime();
            List<Subtask<String>> lookups = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                String symbol = "S" + i;
                lookups.add(ch.fork(() -> ch.call("", PRICES, Message.text(symbol), Duration.ofSeconds(5)).bodyAsString()));
            }
            ch.join();
            say("100 concurrent calls answered in %.1f ms (e.g. %s)", millis(c1), lookups.get(42).get());
        }
        took(t0);
    }

    private static String price(String symbol) {
        return symbol + "=" + (100 + Math.floorMod(symbol.hashCode(), 900)) + ".00";
    }

    /** Step 5: a channel error closes the channel, fails every pending call and cancels the siblings. */
    private void channelError() throws Exception {
        step(5, "A user without configure permission declares a queue while sibling tasks work");
        long t0 = System.nanoTime();
        BrokerAdmin admin = broker.admin();
        admin.addUser(LIMITED_USER, "demo-password", "", ".*", ".*");
        say("user '%s' may write and read, but not configure (declare)", LIMITED_USER);
        try (BlockingConnection conn = Warren.connect(ConnectionOptions.of(asUser(broker.uri(), LIMITED_USER,
                "demo-password")).withConnectionName("warren-demo-limited").withObserver(metrics.observer()))) {
            BlockingChannel ch = conn.openChannel();
            CountDownLatch siblingsStarted = new CountDownLatch(3);
            Subtask<Integer> publisher = ch.fork(() -> {
                siblingsStarted.countDown();
                int n = 0;
                while (true) {
                    ch.publish("amq.direct", "warren.demo.nowhere", new byte[16]);
                    n++;
                }
            });
            Subscription idle = ch.consume(ORDERS);
            Subtask<Delivery> taker = ch.fork(() -> {
                siblingsStarted.countDown();
                return idle.take();
            });
            Subtask<Void> sleeper = ch.fork(() -> {
                siblingsStarted.countDown();
                Thread.sleep(Duration.ofDays(1));
            });
            siblingsStarted.await();
            Subtask<Object> declare = ch.fork(() -> ch.queueDeclare(QueueSpec.named(FORBIDDEN)));
            try {
                ch.join();
                throw new IllegalStateException("the broker accepted a declare it should have refused");
            } catch (ChannelClosedException e) {
                say("join() threw ChannelClosedException: %d %s (%s)", e.replyCode(), shortText(e.replyText()),
                        e.failedMethod());
            }
            say("the declare:   %s", outcome(declare));
            say("the publisher: %s", outcome(publisher));
            say("the take():    %s", outcome(taker));
            say("the sleeper:   %s", outcome(sleeper));
            ch.close();
            try (BlockingChannel fresh = conn.openChannel()) {
                fresh.publish("amq.direct", "warren.demo.nowhere", new byte[16]);
                say("the connection carries on: a new channel published and got its confirm (open: %s)",
                        conn.isOpen());
            }
        } finally {
            admin.deleteUser(LIMITED_USER);
        }
        took(t0);
    }

    /** Step 6: an operator closes the connection; straight-line code sees a typed exception. */
    private void forcedClose(BlockingConnection conn) throws Exception {
        step(6, "An operator force-closes the connection while a thread waits in take()");
        long t0 = System.nanoTime();
        BlockingChannel ch = conn.openChannel();
        Subscription orders = ch.consume(ORDERS);
        CountDownLatch waiting = new CountDownLatch(1);
        Subtask<Delivery> taker = ch.fork(() -> {
            waiting.countDown();
            return orders.take();
        });
        waiting.await();
        broker.admin().closeConnection(CONNECTION_NAME, "demo: an operator closed it");
        try {
            ch.join();
        } catch (ClosedException e) {
            say("join() threw %s: %d %s", e.getClass().getSimpleName(), e.replyCode(), shortText(e.replyText()));
        }
        say("the take(): %s", outcome(taker));
        say("connection open: %s; every later call fails at once with the same exception", conn.isOpen());
        ch.close();
        took(t0);
    }

    /** Step 7: the same forced close, survived: a robust publisher and a supervised consumer carry on. */
    private void survive(ConnectionOptions options) throws Exception {
        step(7, "The operator force-closes a robust connection: a supervised consumer and a publisher carry on");
        long t0 = System.nanoTime();
        java.util.Set<String> got = java.util.concurrent.ConcurrentHashMap.newKeySet();
        AtomicInteger deliveries = new AtomicInteger();
        CountDownLatch consuming = new CountDownLatch(1);
        CountDownLatch allGot = new CountDownLatch(1);
        try (RobustConnection rc = Warren.connectRobust(options
                .withRecovery(RecoveryPolicy.backoff(Duration.ofMillis(50), Duration.ofSeconds(1))))) {
            long[] lostAt = new long[1];
            CountDownLatch recovered = new CountDownLatch(1);
            double[] outage = new double[1];
            rc.addListener(new RecoveryListener() {
                @Override
                public void connectionLost(ConnectionClosedException cause) {
                    lostAt[0] = System.nanoTime();
                    say("lost: %s %d %s; reconnecting", cause.getClass().getSimpleName(), cause.replyCode(),
                            shortText(cause.replyText()));
                }

                @Override
                public void connectionRecovered(String address, int attempts, Duration d) {
                    outage[0] = d.toNanos() / 1e6;
                    recovered.countDown();
                }
            });
            Supervised consumer = rc.supervise(c -> {
                try (BlockingChannel ch = c.openChannel()) {
                    ch.queueDeclare(QueueSpec.named(ORDERS).durable(false)); // its own topology, on every run
                    try (Subscription s = ch.consume(ORDERS)) {
                        consuming.countDown();
                        for (Delivery d : s) {
                            got.add(d.properties().getMessageId());
                            deliveries.incrementAndGet();
                            d.ack();
                            if (got.size() == ROBUST_ORDERS) {
                                allGot.countDown();
                            }
                        }
                    }
                }
            });
            consuming.await();
            for (int i = 1; i <= ROBUST_ORDERS; i++) {
                rc.publish("", ORDERS, Message.text("order " + i).withMessageId("order-" + i));
                if (i == ROBUST_ORDERS / 2) {
                    broker.admin().closeConnection(ROBUST_NAME, "demo: an operator closed it again");
                }
            }
            recovered.await();
            say("recovered in %.0f ms (recoveries: %d); the publisher never saw the loss", outage[0], rc.recoveries());
            say("all %d publish() calls returned; %d re-sent after the loss, with the same message-id",
                    ROBUST_ORDERS, rc.resends());
            allGot.await(10, TimeUnit.SECONDS);
            say("the supervised consumer was restarted %d time(s) and got all %d orders: %s (%d duplicates)",
                    consumer.restarts(), ROBUST_ORDERS, got.size() == ROBUST_ORDERS,
                    deliveries.get() - got.size());
        }
        took(t0);
    }

    /** Deletes what the demo made; safe to call twice and from the shutdown hook. */
    void cleanUp() {
        if (!cleaned.compareAndSet(false, true)) {
            return;
        }
        try (BlockingConnection conn = Warren.connect(broker.uri()); BlockingChannel ch = conn.openChannel()) {
            ch.queueDelete(ORDERS);
            ch.queueDelete(PRICES);
            ch.exchangeDelete(EXCHANGE);
        } catch (Exception e) {
            System.err.println("demo clean-up: " + e);
        }
        try {
            if (broker.admin().rabbitmqctl("list_users", "-q").contains(LIMITED_USER)) {
                broker.admin().deleteUser(LIMITED_USER);
            }
        } catch (RuntimeException e) {
            System.err.println("demo clean-up: " + e.getMessage());
        }
    }

    private static String outcome(Subtask<?> t) {
        return switch (t.state()) {
            case SUCCESS -> "returned " + t.get();
            case FAILED -> "threw " + describe(t.exception());
            case UNAVAILABLE -> "was cancelled";
        };
    }

    private static String describe(Throwable e) {
        if (e instanceof ClosedException c) {
            return c.getClass().getSimpleName() + " " + c.replyCode() + " " + shortText(c.replyText())
                    + (c.failedMethod() != null ? " (" + c.failedMethod() + ")" : "");
        }
        if (e instanceof InterruptedException) {
            return "InterruptedException: it was cancelled";
        }
        return e.getClass().getSimpleName();
    }

    private static String shortText(String text) {
        int dash = text.indexOf(" - ");
        return dash > 0 ? text.substring(0, dash) : text;
    }

    static String asUser(String uri, String user, String password) {
        URI u = URI.create(uri);
        return u.getScheme() + "://" + user + ":" + password + "@" + u.getHost() + ":" + u.getPort()
                + (u.getRawPath() == null ? "" : u.getRawPath());
    }

    private void step(int n, String title) {
        out.printf("%n[%d] %s%n", n, title);
    }

    private void say(String format, Object... args) {
        out.println("    " + String.format(format, args));
    }

    private void took(long t0) {
        out.printf("    (%.0f ms)%n", millis(t0));
    }

    private static double millis(long t0) {
        return (System.nanoTime() - t0) / 1e6;
    }

    private static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }
}
