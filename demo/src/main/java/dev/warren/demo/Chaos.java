package dev.warren.demo;

import dev.warren.BlockingChannel;
import dev.warren.BlockingConnection;
import dev.warren.ConnectionClosedException;
import dev.warren.ConnectionOptions;
import dev.warren.Delivery;
import dev.warren.Message;
import dev.warren.PublishNackedException;
import dev.warren.QueueSpec;
import dev.warren.RecoveryListener;
import dev.warren.RecoveryPolicy;
import dev.warren.RobustConnection;
import dev.warren.Subscription;
import dev.warren.Supervised;
import dev.warren.Warren;
import dev.warren.testing.RabbitBroker;
import dev.warren.testing.RabbitCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Measures what recovery costs: publish throughput through a {@link RobustConnection} against a
 * plain channel, the time from a fault to the next confirmed publish after forced closes (shared
 * broker, its own connection only) and after node kills (a private 3-node cluster), and how many
 * messages were re-sent and consumed twice. Not a test: run it with
 * {@code mvn -q -B -DskipTests package exec:java -Ddemo.main=dev.warren.demo.Chaos}.
 * Options: {@code --closes=10}, {@code --kills=3}, {@code --messages=100000}, {@code --reps=3},
 * {@code --faults=0} (throughput only); 0 messages or closes skips that part. {@code --soak=1} runs
 * only the {@link Soak} instead: a private 3-node cluster, 50 publishers to a quorum and a classic
 * queue and a supervised consumer, each node SIGKILLed and started again in turn, a 20 s memory
 * alarm and a frozen network ({@code --soak-publishers=50}, {@code --soak-alarm=20} seconds).
 */
public final class Chaos {
    private static final int THREADS = 200;

    private Chaos() {}

    /** Runs the three measurements and prints the results. */
    public static void main(String[] args) throws Exception {
        Map<String, Integer> opts = new ConcurrentHashMap<>(Map.of("closes", 10, "kills", 3, "messages", 100_000,
                "reps", 3, "faults", 1));
        for (String a : args) {
            String[] kv = a.replaceFirst("^--", "").split("=", 2);
            opts.put(kv[0], Integer.parseInt(kv[1]));
        }
        if (opts.getOrDefault("soak", 0) > 0) {
            try (RabbitCluster cluster = RabbitCluster.start(3)) {
                Soak.Report r = Soak.run(cluster, new Soak.Plan(opts.getOrDefault("soak-publishers", 50),
                        cluster.nodes().size(), Duration.ofSeconds(opts.getOrDefault("soak-alarm", 20)), true, 2000),
                        System.out);
                System.exit(r.missing() == 0 && r.overdue() == 0 && r.consumerAlive() ? 0 : 1);
            }
        }
        RabbitBroker broker = RabbitBroker.shared();
        System.out.println("Chaos, using " + broker);
        if (opts.get("messages") > 0) {
            throughput(broker.uri(), opts.get("messages"), opts.get("reps"));
        }
        if (opts.get("faults") == 0) {
            System.exit(0);
        }
        if (opts.get("closes") > 0) {
            faults("forced close", ConnectionOptions.of(broker.uri()), opts.get("closes"), broker::admin, null);
        }
        try (RabbitCluster cluster = RabbitCluster.start(3)) {
            faults("node kill", ConnectionOptions.of(cluster.uri()).withAddresses(cluster.addresses()),
                    opts.get("kills"), null, cluster);
        }
        System.exit(0);
    }

    /** Publishes {@code messages} from 200 virtual threads, plain channel and robust connection in turn. */
    private static void throughput(String uri, int messages, int reps) throws Exception {
        String queue = "warren.chaos.throughput." + ProcessHandle.current().pid();
        List<Double> plain = new ArrayList<>();
        List<Double> robust = new ArrayList<>();
        try (BlockingConnection admin = Warren.connect(uri); BlockingChannel ch = admin.openChannel()) {
            ch.queueDeclare(QueueSpec.named(queue).durable(false).argument("x-max-length", 10_000));
            for (int r = 0; r <= reps; r++) { // the first round warms up
                try (BlockingConnection c = Warren.connect(uri); BlockingChannel pc = c.openChannel()) {
                    double rate = rate(messages, () -> pc.publish("", queue, Message.text("x")));
                    if (r > 0) {
                        plain.add(rate);
                    }
                }
                try (RobustConnection rc = Warren.connectRobust(ConnectionOptions.of(uri))) {
                    double rate = rate(messages, () -> rc.publish("", queue, Message.text("x")));
                    if (r > 0) {
                        robust.add(rate);
                    }
                }
            }
            ch.queueDelete(queue);
        }
        double p = median(plain);
        double q = median(robust);
        System.out.printf("throughput, %d threads, %d transient messages, median of %d: plain channel %,.0f/s,"
                + " RobustConnection %,.0f/s, ratio %.2f (runs: plain %s, robust %s)%n", THREADS, messages, reps, p, q,
                q / p, rounded(plain), rounded(robust));
    }

    private interface Publish {
        void run() throws Exception;
    }

    private static double rate(int messages, Publish publish) throws Exception {
        AtomicInteger left = new AtomicInteger(messages);
        List<Thread> threads = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int t = 0; t < THREADS; t++) {
            threads.add(Thread.ofVirtual().start(() -> {
                try {
                    while (left.getAndDecrement() > 0) {
                        publish.run();
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        return messages / ((System.nanoTime() - t0) / 1e9);
    }

    /**
     * Publishers and a supervised consumer run while {@code count} faults happen, one at a time:
     * prints loss-to-next-confirm p50/max (from the moment the robust connection saw the loss to
     * the next confirmed publish), re-sends and duplicates.
     */
    private static void faults(String what, ConnectionOptions base, int count,
            java.util.function.Supplier<dev.warren.testing.BrokerAdmin> admin, RabbitCluster cluster) throws Exception {
        String name = "warren-chaos-" + ProcessHandle.current().pid() + "-" + what.replace(' ', '-');
        String queue = name + "-q";
        ConnectionOptions options = base.withConnectionName(name)
                .withRecovery(RecoveryPolicy.backoff(Duration.ofMillis(50), Duration.ofSeconds(1)));
        QueueSpec spec = cluster != null ? QueueSpec.named(queue).quorum() : QueueSpec.named(queue).durable(false);
        Map<String, Integer> seen = new ConcurrentHashMap<>();
        Map<String, Boolean> confirmed = new ConcurrentHashMap<>();
        AtomicLong lastConfirm = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger nacks = new AtomicInteger();
        List<Long> recoveries = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger unrecovered = new AtomicInteger();
        try (RobustConnection rc = Warren.connectRobust(options)) {
            CountDownLatch[] lost = {new CountDownLatch(1)};
            AtomicLong lostAt = new AtomicLong();
            rc.addListener(new RecoveryListener() {
                @Override
                public void connectionLost(ConnectionClosedException cause) {
                    lostAt.set(System.nanoTime());
                    lost[0].countDown();
                }
            });
            Supervised consumer = rc.supervise(c -> {
                try (BlockingChannel ch = c.openChannel()) {
                    ch.queueDeclare(spec);
                    try (Subscription s = ch.consume(queue)) {
                        for (Delivery d : s) {
                            seen.merge(d.properties().getMessageId(), 1, Integer::sum);
                            d.ack();
                        }
                    }
                }
            });
            try (BlockingConnection c = Warren.connect(options); BlockingChannel ch = c.openChannel()) {
                ch.queueDeclare(spec);
            }
            AtomicInteger ids = new AtomicInteger();
            List<Thread> publishers = new ArrayList<>();
            for (int t = 0; t < 20; t++) {
                publishers.add(Thread.ofVirtual().start(() -> {
                    try {
                        while (!stop.get()) {
                            String id = "m-" + ids.incrementAndGet();
                            try {
                                rc.publish("", queue, Message.text(id).withMessageId(id).withPersistent(true));
                                confirmed.put(id, true);
                                lastConfirm.set(System.nanoTime());
                            } catch (PublishNackedException | dev.warren.PublishTimeoutException e) {
                                nacks.incrementAndGet(); // not confirmed: the application's call
                            }
                        }
                    } catch (Exception e) {
                        System.err.println("publisher: " + e);
                    }
                }));
            }
            for (int k = 0; k < count; k++) {
                awaitConfirms(confirmed, 500);
                lost[0] = new CountDownLatch(1);
                RabbitCluster.Node victim = null;
                if (cluster != null) {
                    String addr = rc.currentAddress().orElseThrow();
                    victim = cluster.nodes().stream().filter(n -> addr.endsWith(":" + n.port())).findFirst()
                            .orElseThrow();
                    victim.kill();
                } else {
                    admin.get().closeConnection(name, "chaos");
                }
                lost[0].await(30, TimeUnit.SECONDS);
                long at = lostAt.get(); // the loss as the robust connection saw it
                long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                while (lastConfirm.get() - at < 0 && System.nanoTime() < giveUp) {
                    Thread.sleep(1);
                }
                if (lastConfirm.get() - at > 0) {
                    recoveries.add((lastConfirm.get() - at) / 1_000_000);
                } else {
                    unrecovered.incrementAndGet(); // no confirm within the wait: reported, not timed
                }
                if (victim != null) {
                    victim.start();
                    awaitAllOnline(cluster, queue);
                }
            }
            awaitConfirms(confirmed, 500);
            stop.set(true);
            for (Thread p : publishers) {
                p.join();
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!seen.keySet().containsAll(confirmed.keySet()) && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            long missing = confirmed.keySet().stream().filter(id -> !seen.containsKey(id)).count();
            long duplicates = seen.values().stream().mapToLong(n -> n - 1).sum();
            List<Long> sorted = new ArrayList<>(recoveries);
            Collections.sort(sorted);
            System.out.printf("%s x%d: loss to next confirm p50 %d ms, max %d ms (all: %s, %d without a confirm within"
                    + " 120 s); %,d confirmed, %d missing, %d re-sent, %d consumed twice, %d nacked or timed out,"
                    + " consumer restarts %d%n", what, count,
                    sorted.isEmpty() ? -1 : sorted.get(sorted.size() / 2), sorted.isEmpty() ? -1 : sorted.get(sorted.size() - 1),
                    sorted, unrecovered.get(), confirmed.size(), missing,
                    rc.resends(), duplicates, nacks.get(), consumer.restarts());
            try (BlockingConnection c = Warren.connect(options); BlockingChannel ch = c.openChannel()) {
                ch.queueDelete(queue);
            }
        }
    }

    private static void awaitConfirms(Map<String, Boolean> confirmed, int more) throws InterruptedException {
        int target = confirmed.size() + more;
        long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (confirmed.size() < target && System.nanoTime() < giveUp) {
            Thread.sleep(5);
        }
    }

    private static void awaitAllOnline(RabbitCluster cluster, String queue) throws InterruptedException {
        while (true) {
            String line = cluster.node(0).admin().rabbitmqctl("list_queues", "-q", "--no-table-headers", "name",
                    "online").lines().filter(l -> l.startsWith(queue + "\t")).findFirst().orElse("");
            if (cluster.nodes().stream().allMatch(n -> line.contains(n.name()))) {
                return;
            }
            Thread.sleep(200);
        }
    }

    private static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        Collections.sort(s);
        return s.get(s.size() / 2);
    }

    private static List<Long> rounded(List<Double> xs) {
        return xs.stream().map(Math::round).toList();
    }
}
