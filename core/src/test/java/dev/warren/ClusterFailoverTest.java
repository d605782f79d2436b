package dev.warren;

import static dev.warren.TestSupport.awaitTrue;
import static dev.warren.TestSupport.unique;
import static org.assertj.core.api.Assertions.assertThat;

import dev.warren.testing.RabbitCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A cluster of three private nodes and a quorum queue: publishers on a robust connection and a
 * supervised consumer while the node the connection is on is killed, restarted, and then another
 * node is killed. No confirmed message may go missing.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ClusterFailoverTest {
    private static final int PUBLISHERS = 20;

    @Test
    void noConfirmedMessageIsLostWhileNodesAreKilledUnderLoad() throws Exception {
        RabbitCluster cluster = RabbitCluster.shared(3);
        String queue = unique("cluster-q");
        ConnectionOptions options = ConnectionOptions.of(cluster.uri()).withAddresses(cluster.addresses())
                .withConnectionName(unique("cluster"))
                .withRecovery(RecoveryPolicy.backoff(Duration.ofMillis(100), Duration.ofSeconds(1)));
        Set<String> confirmed = ConcurrentHashMap.newKeySet();
        Set<String> consumed = ConcurrentHashMap.newKeySet();
        AtomicLong lastConfirm = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger nacks = new AtomicInteger();
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        List<RabbitCluster.Node> killed = new ArrayList<>();
        try (RobustConnection rc = Warren.connectRobust(options)) {
            RecoveryEvents events = RecoveryEvents.on(rc);
            Supervised consumer = rc.supervise(c -> {
                try (BlockingChannel ch = c.openChannel()) {
                    ch.queueDeclare(QueueSpec.named(queue).quorum());
                    try (Subscription s = ch.consume(queue, ConsumeOptions.defaults().withPrefetch(200))) {
                        for (Delivery d : s) {
                            consumed.add(d.properties().getMessageId());
                            d.ack();
                        }
                    }
                }
            });
            try (BlockingChannel ch = Warren.connect(options).openChannel()) {
                ch.queueDeclare(QueueSpec.named(queue).quorum());
                ch.connection().close();
            }
            AtomicInteger ids = new AtomicInteger();
            List<Thread> publishers = new ArrayList<>();
            for (int t = 0; t < PUBLISHERS; t++) {
                publishers.add(Thread.ofVirtual().start(() -> {
                    try {
                        while (!stop.get()) {
                            String id = "c-" + ids.incrementAndGet();
                            try {
                                rc.publish("", queue, Message.text(id).withPersistent(true).withMessageId(id));
                                confirmed.add(id);
                                lastConfirm.set(System.nanoTime());
                            } catch (PublishNackedException e) {
                                // A quorum queue nacks while it has no leader: not enqueued, the
                                // application's call (Warren does not retry a nack). Not confirmed either.
                                nacks.incrementAndGet();
                            }
                        }
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                }));
            }
            assertThat(awaitTrue(() -> confirmed.size() >= 1000, Duration.ofSeconds(60))).isTrue();

            RabbitCluster.Node first = nodeAt(cluster, rc.currentAddress().orElseThrow());
            java.util.function.Supplier<String> state = () -> rc + ", nacks " + nacks + ", failures " + failures
                    + ", queue " + cluster.nodes().stream().filter(RabbitCluster.Node::isRunning).findFirst()
                            .map(n -> n.admin().rabbitmqctl("list_queues", "name", "leader", "online", "messages"))
                            .orElse("?");
            Duration r1 = killAndMeasure(first, events, lastConfirm, state);
            killed.add(first);
            first.start();
            // A quorum queue stays available with one member down, not two: the restarted member
            // must be back in the queue's Raft group before another node goes.
            assertThat(awaitTrue(() -> allOnline(cluster, queue), Duration.ofSeconds(90)))
                    .as("every member of %s online again", queue).isTrue();
            int before = confirmed.size();
            assertThat(awaitTrue(() -> confirmed.size() >= before + 1000, Duration.ofSeconds(60)))
                    .as("publishing goes on; failures: %s", failures).isTrue();

            RabbitCluster.Node on = nodeAt(cluster, rc.currentAddress().orElseThrow());
            RabbitCluster.Node second = on != first ? on
                    : cluster.nodes().stream().filter(n -> n != first).findFirst().orElseThrow();
            boolean secondIsConnected = second == on;
            long secondAt = System.nanoTime();
            second.kill();
            killed.add(second);
            if (secondIsConnected) {
                events.next("lost", Duration.ofSeconds(10));
            }
            // With two of three members left a quorum queue takes publishes again once it has
            // elected a leader; publishing through the robust connection must go on.
            boolean resumed = awaitTrue(() -> lastConfirm.get() - secondAt > 0, Duration.ofSeconds(90));
            long r2 = resumed ? (lastConfirm.get() - secondAt) / 1_000_000 : -1;
            assertThat(resumed).as("a confirm within 90 s of the second kill; %s", state.get()).isTrue();
            int afterSecond = confirmed.size();
            if (!awaitTrue(() -> confirmed.size() >= afterSecond + 500, Duration.ofSeconds(60))) {
                // Nacks are the broker's answer: whether they are the broker's doing or Warren's
                // (a stale channel, say), a plain amqp-client publisher on the same node tells.
                String plain = plainClientPublish(rc.currentAddress().orElseThrow(), queue);
                System.out.println("PRINT publishing stalled after the second kill (" + nacks + " nacks); a plain"
                        + " amqp-client publisher on a new connection to the same node: " + plain + "; " + state.get());
                assertThat(plain).as("a plain client is nacked too: the broker's nacks, not Warren's").isNotEqualTo("acked");
            }

            stop.set(true);
            for (Thread p : publishers) {
                p.join();
            }
            assertThat(failures).isEmpty();
            boolean all = awaitTrue(() -> consumed.containsAll(confirmed), Duration.ofSeconds(90));
            Set<String> missing = ConcurrentHashMap.newKeySet();
            confirmed.stream().filter(id -> !consumed.contains(id)).forEach(missing::add);
            System.out.printf("PRINT cluster failover: %d confirmed, %d missing, %d nacked; re-sent %d; recovery (kill to next"
                    + " confirm): node the connection was on %d ms, %s %d ms; consumer restarts %d%n",
                    confirmed.size(), missing.size(), nacks.get(), rc.resends(), r1.toMillis(),
                    secondIsConnected ? "the next node the connection was on" : "another node", r2,
                    consumer.restarts());
            assertThat(missing).as("confirmed but never consumed").isEmpty();
            assertThat(all).isTrue();
            assertThat(consumer.isDone()).isFalse();
        } finally {
            stop.set(true);
            for (RabbitCluster.Node n : killed) {
                n.start(); // the cluster is shared: leave every node running
            }
            try (BlockingConnection c = Warren.connect(options); BlockingChannel ch = c.openChannel()) {
                ch.queueDelete(queue);
            }
        }
    }

    /** Kills the node, waits for the loss, and returns the time from the kill to the next confirm. */
    private static Duration killAndMeasure(RabbitCluster.Node node, RecoveryEvents events, AtomicLong lastConfirm,
            java.util.function.Supplier<String> state) throws InterruptedException {
        long at = System.nanoTime();
        node.kill();
        events.next("lost", Duration.ofSeconds(10));
        events.next("recovered", Duration.ofSeconds(30));
        // As after the second kill: RabbitMQ 3.10 has been seen to nack every publish to the
        // quorum queue for over a minute after its leader's node was killed, also on the new
        // connection's fresh channels (nacks are the broker's answer and are not retried). That
        // is reported, not failed; publishing must go on once the node is back (asserted by the
        // caller), and no confirmed message may be missing.
        if (!awaitTrue(() -> lastConfirm.get() - at > 0, Duration.ofSeconds(60))) {
            System.out.println("PRINT no confirm within 60 s of the first kill; " + state.get());
            return Duration.ofMillis(-1);
        }
        return Duration.ofNanos(lastConfirm.get() - at);
    }

    /** Publishes 20 persistent messages with amqp-client alone and waits for their confirms: acked, nacked or none. */
    private static String plainClientPublish(String address, String queue) throws Exception {
        com.rabbitmq.client.ConnectionFactory f = new com.rabbitmq.client.ConnectionFactory();
        f.setHost(address.substring(0, address.lastIndexOf(':')));
        f.setPort(Integer.parseInt(address.substring(address.lastIndexOf(':') + 1)));
        try (com.rabbitmq.client.Connection c = f.newConnection("warren-test-plain-client")) {
            com.rabbitmq.client.Channel ch = c.createChannel();
            ch.confirmSelect();
            for (int i = 0; i < 20; i++) {
                ch.basicPublish("", queue, new com.rabbitmq.client.AMQP.BasicProperties.Builder().deliveryMode(2)
                        .messageId("plain-" + i).build(), new byte[] {1});
            }
            try {
                return ch.waitForConfirms(10_000) ? "acked" : "nacked";
            } catch (java.util.concurrent.TimeoutException e) {
                return "no confirm within 10 s";
            }
        }
    }

    private static boolean allOnline(RabbitCluster cluster, String queue) {
        String line = cluster.node(0).admin().rabbitmqctl("list_queues", "-q", "--no-table-headers", "name", "online")
                .lines().filter(l -> l.startsWith(queue + "\t")).findFirst().orElse("");
        return cluster.nodes().stream().allMatch(n -> line.contains(n.name()));
    }

    private static RabbitCluster.Node nodeAt(RabbitCluster cluster, String address) {
        int port = Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
        return cluster.nodes().stream().filter(n -> n.port() == port).findFirst().orElseThrow();
    }
}
