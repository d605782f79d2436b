package dev.warren.demo;

import dev.warren.BlockingChannel;
import dev.warren.BlockingConnection;
import dev.warren.ConnectionClosedException;
import dev.warren.ConnectionOptions;
import dev.warren.ConsumeOptions;
import dev.warren.Delivery;
import dev.warren.Message;
import dev.warren.PublishNackedException;
import dev.warren.PublishTimeoutException;
import dev.warren.QueueSpec;
import dev.warren.RecoveryListener;
import dev.warren.RecoveryPolicy;
import dev.warren.RobustConnection;
import dev.warren.Subscription;
import dev.warren.Supervised;
import dev.warren.UnroutableException;
import dev.warren.Warren;
import dev.warren.testing.RabbitCluster;
import dev.warren.testing.TcpProxy;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A soak of one {@link RobustConnection} on a cluster of private nodes: publishers to a quorum
 * and a classic queue and a supervised consumer of both, while nodes are SIGKILLed and started
 * again in turn, the broker raises a memory alarm, and the network to the current node freezes
 * (a {@link TcpProxy} in front of each node). It counts what was confirmed and whether the
 * consumer got every confirmed message ({@link Report#missing()} must be 0), and every publish
 * that did not end within its deadline ({@link Report#overdue()} must be 0). Run by
 * {@link Chaos} ({@code --soak}) and, short, by the demo's {@code SoakTest}.
 */
public final class Soak {
    private static final Duration PUBLISH_TIMEOUT = Duration.ofSeconds(30);
    /** Slack on the deadline for scheduling on a loaded machine. */
    private static final Duration LATE = Duration.ofSeconds(2);

    /**
     * What to do to the cluster; each step waits for publishing to go on before the next.
     *
     * @param publishers how many threads publish
     * @param kills how many nodes to SIGKILL and start again, one at a time, in the order of the cluster
     * @param alarm how long a memory alarm lasts, or null for none
     * @param freeze whether to freeze the network to the connection's node until the loss is seen
     * @param confirmsBetweenFaults how many more confirms to wait for after each step
     */
    public record Plan(int publishers, int kills, Duration alarm, boolean freeze, int confirmsBetweenFaults) {}

    /**
     * What the soak saw.
     *
     * @param confirmed publishes that returned normally
     * @param missing confirmed messages the consumer never got (must be 0)
     * @param duplicates deliveries of a message beyond its first (expected only after a loss)
     * @param resends {@link RobustConnection#resends()}
     * @param nacks publishes the broker nacked (a quorum queue without a leader)
     * @param unroutable mandatory publishes to the classic queue while its node was down
     * @param timeouts publishes that threw {@link PublishTimeoutException}
     * @param overdue publishes that took longer than their deadline (must be 0)
     * @param longestStallMillis the longest time without any confirm
     * @param recoveries {@link RobustConnection#recoveries()}
     * @param consumerRestarts {@link Supervised#restarts()} of the consumer
     * @param consumerAlive whether the consumer was still supervised at the end (it must be)
     * @param publisherFailures anything else a publisher threw (must be none)
     */
    public record Report(long confirmed, long missing, long duplicates, long resends, long nacks, long unroutable,
            long timeouts, long overdue, long longestStallMillis, int recoveries, int consumerRestarts,
            boolean consumerAlive, List<String> publisherFailures) {
        @Override
        public String toString() {
            return String.format("soak: %,d confirmed, %d missing, %d duplicates, %d re-sent, %d nacked, %d unroutable,"
                    + " %d timed out, %d overdue; longest stall %d ms; %d recoveries, consumer restarts %d%s%s",
                    confirmed, missing, duplicates, resends, nacks, unroutable, timeouts, overdue, longestStallMillis,
                    recoveries, consumerRestarts, consumerAlive ? "" : ", CONSUMER ENDED",
                    publisherFailures.isEmpty() ? "" : ", publisher failures " + publisherFailures);
        }
    }

    private final RabbitCluster cluster;
    private final Plan plan;
    private final PrintStream log;
    private final Set<String> confirmed = ConcurrentHashMap.newKeySet();
    private final Map<String, Integer> consumed = new ConcurrentHashMap<>();
    private final AtomicLong lastConfirm = new AtomicLong(System.nanoTime());
    private final AtomicLong longestStall = new AtomicLong();
    private final AtomicLong nacks = new AtomicLong();
    private final AtomicLong unroutable = new AtomicLong();
    private final AtomicLong timeouts = new AtomicLong();
    private final AtomicLong overdue = new AtomicLong();
    private final List<String> failures = new java.util.concurrent.CopyOnWriteArrayList<>();

    private Soak(RabbitCluster cluster, Plan plan, PrintStream log) {
        this.cluster = cluster;
        this.plan = plan;
        this.log = log;
    }

    /**
     * Runs the plan on {@code cluster} (every node running at the start and again at the end).
     *
     * @param cluster a cluster of private nodes, at least 2
     * @param plan what to do
     * @param log where to say what happens
     * @return what it saw
     * @throws InterruptedException when interrupted
     */
    public static Report run(RabbitCluster cluster, Plan plan, PrintStream log) throws InterruptedException {
        return new Soak(cluster, plan, log).run();
    }

    private Report run() throws InterruptedException {
        String name = "warren-soak-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        String quorum = name + "-quorum";
        String classic = name + "-classic";
        List<TcpProxy> proxies = cluster.nodes().stream().map(n -> new TcpProxy(n.uri())).toList();
        // The classic queue lives on the last node, which is killed last (if at all).
        RabbitCluster.Node home = cluster.node(cluster.nodes().size() - 1);
        try (BlockingConnection c = Warren.connect(home.uri()); BlockingChannel ch = c.openChannel()) {
            ch.queueDeclare(QueueSpec.named(quorum).quorum());
            ch.queueDeclare(QueueSpec.named(classic));
        }
        ConnectionOptions options = ConnectionOptions.of(cluster.uri())
                .withAddresses(proxies.stream().map(p -> "127.0.0.1:" + p.port()).toList())
                .withConnectionName(name).withHeartbeat(Duration.ofSeconds(4)).withPublishTimeout(PUBLISH_TIMEOUT)
                .withRecovery(RecoveryPolicy.backoff(Duration.ofMillis(100), Duration.ofSeconds(1)));
        AtomicBoolean stop = new AtomicBoolean();
        Report report;
        try (RobustConnection rc = Warren.connectRobust(options)) {
            AtomicInteger losses = new AtomicInteger();
            rc.addListener(new RecoveryListener() {
                @Override
                public void connectionLost(ConnectionClosedException cause) {
                    losses.incrementAndGet();
                    log.println("soak: lost (" + cause.getMessage() + ")");
                }

                @Override
                public void connectionRecovered(String address, int attempts, Duration outage) {
                    log.println("soak: recovered on " + address + " after " + outage.toMillis() + " ms");
                }
            });
            Supervised consumer = rc.supervise(c -> {
                try (BlockingChannel ch = c.openChannel()) {
                    ch.queueDeclare(QueueSpec.named(quorum).quorum());
                    ch.queueDeclare(QueueSpec.named(classic));
                    Subscription q = ch.consume(quorum, ConsumeOptions.defaults().withPrefetch(200));
                    Subscription k = ch.consume(classic, ConsumeOptions.defaults().withPrefetch(200));
                    ch.fork(() -> drain(q));
                    ch.fork(() -> drain(k));
                    ch.join();
                }
            });
            List<Thread> publishers = startPublishers(rc, quorum, classic, stop);
            Thread stalls = Thread.ofVirtual().start(() -> {
                while (!stop.get()) {
                    longestStall.accumulateAndGet(System.nanoTime() - lastConfirm.get(), Math::max);
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
                }
            });
            awaitConfirms(plan.confirmsBetweenFaults());
            for (int k = 0; k < plan.kills(); k++) {
                RabbitCluster.Node victim = cluster.node(k % cluster.nodes().size());
                log.println("soak: SIGKILL " + victim);
                victim.kill();
                awaitConfirms(plan.confirmsBetweenFaults());
                victim.start();
                awaitOnline(quorum);
                awaitConfirms(plan.confirmsBetweenFaults());
            }
            if (plan.alarm() != null) {
                log.println("soak: memory alarm for " + plan.alarm().toSeconds() + " s");
                cluster.node(0).admin().raiseMemoryAlarm();
                try {
                    LockSupport.parkNanos(plan.alarm().toNanos());
                } finally {
                    cluster.node(0).admin().clearMemoryAlarm();
                }
                awaitConfirms(plan.confirmsBetweenFaults());
            }
            if (plan.freeze()) {
                String at = rc.currentAddress().orElseThrow();
                TcpProxy frozen = proxies.stream().filter(p -> at.endsWith(":" + p.port())).findFirst().orElseThrow();
                int before = losses.get();
                log.println("soak: freezing the network to " + at);
                frozen.pause();
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (losses.get() == before && System.nanoTime() - until < 0) {
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
                }
                frozen.resume();
                awaitConfirms(plan.confirmsBetweenFaults());
            }
            stop.set(true);
            for (Thread p : publishers) {
                p.join();
            }
            stalls.join();
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!consumed.keySet().containsAll(confirmed) && System.nanoTime() - until < 0) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
            }
            long missing = confirmed.stream().filter(id -> !consumed.containsKey(id)).count();
            long duplicates = consumed.values().stream().mapToLong(n -> n - 1).sum();
            report = new Report(confirmed.size(), missing, duplicates, rc.resends(), nacks.get(), unroutable.get(),
                    timeouts.get(), overdue.get(), longestStall.get() / 1_000_000, rc.recoveries(),
                    consumer.restarts(), !consumer.isDone(), List.copyOf(failures));
        } finally {
            stop.set(true);
            cluster.nodes().stream().filter(n -> !n.isRunning()).forEach(RabbitCluster.Node::start);
            proxies.forEach(TcpProxy::close);
            try (BlockingConnection c = Warren.connect(home.uri()); BlockingChannel ch = c.openChannel()) {
                ch.queueDelete(quorum);
                ch.queueDelete(classic);
            }
        }
        log.println(report);
        return report;
    }

    private void drain(Subscription s) throws InterruptedException {
        for (Delivery d : s) {
            consumed.merge(d.properties().getMessageId(), 1, Integer::sum);
            d.ack();
        }
    }

    private List<Thread> startPublishers(RobustConnection rc, String quorum, String classic, AtomicBoolean stop) {
        AtomicLong ids = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < plan.publishers(); t++) {
            threads.add(Thread.ofVirtual().name("soak-publisher-" + t).start(() -> {
                while (!stop.get()) {
                    long n = ids.incrementAndGet();
                    String id = "soak-" + n;
                    // Mandatory: a classic queue whose node is down must not take a confirm for nothing.
                    Message m = Message.text(id).withMessageId(id).withPersistent(true).withMandatory(true);
                    long start = System.nanoTime();
                    try {
                        rc.publish("", n % 2 == 0 ? quorum : classic, m);
                        confirmed.add(id);
                        lastConfirm.set(System.nanoTime());
                    } catch (PublishNackedException e) {
                        nacks.incrementAndGet();
                    } catch (UnroutableException e) {
                        unroutable.incrementAndGet();
                    } catch (PublishTimeoutException e) {
                        timeouts.incrementAndGet();
                    } catch (InterruptedException e) {
                        return;
                    } catch (RuntimeException e) {
                        failures.add(e.toString());
                        return;
                    } finally {
                        if (System.nanoTime() - start > PUBLISH_TIMEOUT.plus(LATE).toNanos()) {
                            overdue.incrementAndGet();
                        }
                    }
                }
            }));
        }
        return threads;
    }

    /** Waits (up to two minutes) for {@code n} more confirms: publishing goes on after a fault. */
    private void awaitConfirms(int n) {
        int target = confirmed.size() + n;
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (confirmed.size() < target && System.nanoTime() - until < 0) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
        if (confirmed.size() < target) {
            log.println("soak: publishing did not go on within 120 s (" + confirmed.size() + " confirmed)");
        }
    }

    /** Waits (up to 90 s) until every node is a member online of the quorum queue again. */
    private void awaitOnline(String queue) {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() - until < 0) {
            String line = cluster.node(cluster.nodes().size() - 1).admin().rabbitmqctl("list_queues", "-q",
                    "--no-table-headers", "name", "online").lines().filter(l -> l.startsWith(queue + "\t"))
                    .findFirst().orElse("");
            if (cluster.nodes().stream().allMatch(n -> line.contains(n.name()))) {
                return;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
        }
    }
}
