package dev.warren.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.warren.BlockingChannel;
import dev.warren.BlockingConnection;
import dev.warren.ChannelClosedException;
import dev.warren.ClosedException;
import dev.warren.ConnectionOptions;
import dev.warren.Delivery;
import dev.warren.Message;
import dev.warren.PublishNackedException;
import dev.warren.PublishTimeoutException;
import dev.warren.QueueSpec;
import dev.warren.RpcTimeoutException;
import dev.warren.Subscription;
import dev.warren.Subtask;
import dev.warren.UnroutableException;
import dev.warren.Warren;
import dev.warren.testing.RabbitBroker;
import dev.warren.testing.RabbitExtension;
import dev.warren.testing.TcpProxy;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** The meters count exactly what the test did, and the gauges read what waits, then 0. */
@ExtendWith(RabbitExtension.class)
@Timeout(60)
class WarrenMetricsTest {
    private static final Duration SHORT = Duration.ofMillis(300);

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final WarrenMetrics metrics = new WarrenMetrics(registry, Tags.of("service", "test"));
    private RabbitBroker broker;
    private TcpProxy proxy;

    @BeforeEach
    void setUp(RabbitBroker broker) {
        this.broker = broker;
        proxy = new TcpProxy(broker.uri());
    }

    @AfterEach
    void tearDown() {
        proxy.close();
    }

    private static String unique(String what) {
        return dev.warren.testing.Declared.name("warren.metrics." + what);
    }

    private static QueueSpec transientQueue(String name) {
        return QueueSpec.named(name).withDurable(false).withAutoDelete(true);
    }

    private BlockingConnection observed() {
        return Warren.connect(ConnectionOptions.of(proxy.uri(broker.uri())).withConnectionName(unique("conn"))
                .withObserver(metrics));
    }

    private long timerCount(String name, String outcome) {
        return registry.get(name).tag("outcome", outcome).tag("service", "test").timer().count();
    }

    private double counter(String name, String tag, String value) {
        return tag == null ? registry.get(name).counter().count() : registry.get(name).tag(tag, value).counter().count();
    }

    private double gauge(String name, String operation) {
        return operation == null ? registry.get(name).gauge().value()
                : registry.get(name).tag("operation", operation).gauge().value();
    }

    @Test
    void timersAndCountersMatchEveryOutcomeTheTestCaused() throws Exception {
        try (BlockingConnection server = Warren.connect(broker.uri()); BlockingConnection conn = observed()) {
            BlockingChannel srv = server.openChannel();
            BlockingChannel ch = conn.openChannel();
            String q = ch.queueDeclare(transientQueue(unique("acks"))).name();
            String full = ch.queueDeclare(transientQueue(unique("full")).withMaxLength(1)
                    .withOverflow(QueueSpec.Overflow.REJECT_PUBLISH)).name();
            String rpc = srv.queueDeclare(transientQueue(unique("rpc"))).name();
            String unserved = ch.queueDeclare(transientQueue(unique("unserved"))).name();
            srv.fork(() -> srv.serve(rpc, req -> Message.text("re:" + req.bodyAsString())));

            // Publishes: 3 acks to q, 1 ack and 1 nack to the full queue, 1 return, 1 timeout, 1 closed.
            for (int i = 0; i < 3; i++) {
                ch.publish("", q, ("m" + i).getBytes());
            }
            ch.publish("", full, "first".getBytes());
            assertThatThrownBy(() -> ch.publish("", full, "second".getBytes())).isInstanceOf(PublishNackedException.class);
            assertThatThrownBy(() -> ch.publish("", unique("nowhere"), Message.text("lost").withMandatory(true)))
                    .isInstanceOf(UnroutableException.class);
            proxy.pause();
            assertThatThrownBy(() -> ch.publish("", q, Message.text("late"), SHORT))
                    .isInstanceOf(PublishTimeoutException.class);
            proxy.resume();
            BlockingChannel doomed = conn.openChannel();
            assertThatThrownBy(() -> doomed.publish(unique("no-such-exchange"), "k", "x".getBytes()))
                    .isInstanceOfSatisfying(ChannelClosedException.class, e -> assertThat(e.replyCode()).isEqualTo(404));
            doomed.close();

            // Calls: 1 reply, 1 timeout (nobody serves), 1 return (no such queue).
            assertThat(ch.call("", rpc, Message.text("ping"), Duration.ofSeconds(10)).bodyAsString()).isEqualTo("re:ping");
            assertThatThrownBy(() -> ch.call("", unserved, Message.text("anyone?"), SHORT))
                    .isInstanceOf(RpcTimeoutException.class);
            assertThatThrownBy(() -> ch.call("", unique("nobody"), Message.text("?"), Duration.ofSeconds(10)))
                    .isInstanceOf(UnroutableException.class);

            // Deliveries: the 4 messages in q (3 + the late one), 3 acked, 1 nacked without requeue.
            try (Subscription s = ch.consume(q)) {
                for (int i = 0; i < 3; i++) {
                    s.take().ack();
                }
                s.take().nack(false);
            }

            assertThat(timerCount("warren.publishes", "ack")).isEqualTo(4);
            assertThat(timerCount("warren.publishes", "nack")).isEqualTo(1);
            assertThat(timerCount("warren.publishes", "return")).isEqualTo(1);
            assertThat(timerCount("warren.publishes", "timeout")).isEqualTo(1);
            assertThat(timerCount("warren.publishes", "closed")).isEqualTo(1);
            assertThat(timerCount("warren.publishes", "interrupted") + timerCount("warren.publishes", "failed")).isZero();
            assertThat(timerCount("warren.calls", "reply")).isEqualTo(1);
            assertThat(timerCount("warren.calls", "timeout")).isEqualTo(1);
            assertThat(timerCount("warren.calls", "return")).isEqualTo(1);
            assertThat(registry.get("warren.publishes").tag("outcome", "timeout").timer()
                    .totalTime(java.util.concurrent.TimeUnit.MILLISECONDS)).isGreaterThanOrEqualTo(SHORT.toMillis());
            assertThat(counter("warren.deliveries", null, null)).isEqualTo(4);
            assertThat(counter("warren.acks", null, null)).isEqualTo(3);
            assertThat(counter("warren.nacks", "requeue", "false")).isEqualTo(1);
            assertThat(counter("warren.nacks", "requeue", "true")).isZero();
            assertThat(counter("warren.channels.closed", "reply.code", "404")).isEqualTo(1);
            assertThat(registry.get("warren.channels.closed").tag("reply.code", "404").counter().getId()
                    .getTag("initiator")).isEqualTo("broker");
            srv.close();
        }
    }

    @Test
    void gaugesReadTheParkedThreadsAndGoBackToZeroWhenTheConnectionIsLost() throws Exception {
        try (BlockingConnection conn = observed()) {
            BlockingChannel ch = conn.openChannel();
            String q = ch.queueDeclare(transientQueue(unique("gauges"))).name();
            String unserved = ch.queueDeclare(transientQueue(unique("unserved"))).name();
            Subscription s = ch.consume(q);
            CountDownLatch forked = new CountDownLatch(2);
            Subtask<Delivery> take = ch.fork(() -> {
                forked.countDown();
                return s.take();
            });
            Subtask<Delivery> call = ch.fork(() -> {
                forked.countDown();
                return ch.call("", unserved, Message.text("anyone?"), Duration.ofMinutes(5));
            });
            forked.await();
            // The call's request confirmed too, before the pause: else it stays unconfirmed beside the held publish.
            awaitTrue(() -> gauge("warren.waiters", "take") == 1 && gauge("warren.waiters", "call") == 1
                    && gauge("warren.publishes.unconfirmed", null) == 0);
            assertThat(gauge("warren.channels", null)).isEqualTo(1);

            proxy.pause();
            Subtask<Void> publish = ch.fork(() -> ch.publish("", q, "held".getBytes()));
            awaitTrue(() -> {
                double unconfirmed = gauge("warren.publishes.unconfirmed", null);
                double publishers = gauge("warren.waiters", "publish");
                if (unconfirmed != 1 || publishers != 1) {
                    lastSeen = "unconfirmed " + unconfirmed + ", parked publishers " + publishers;
                    return false;
                }
                return true;
            });

            proxy.cut();
            assertThatThrownBy(ch::join).isInstanceOf(ClosedException.class);
            assertThat(take.state()).isEqualTo(Subtask.State.FAILED);
            assertThat(call.state()).isEqualTo(Subtask.State.FAILED);
            assertThat(publish.state()).isEqualTo(Subtask.State.FAILED);
            assertThat(gauge("warren.waiters", "take")).isZero();
            assertThat(gauge("warren.waiters", "call")).isZero();
            assertThat(gauge("warren.waiters", "publish")).isZero();
            assertThat(gauge("warren.publishes.unconfirmed", null)).isZero();
            assertThat(gauge("warren.channels", null)).isZero();
            // The connection's own close listener runs after its channels': it says so too.
            awaitTrue(() -> metrics.toString().contains("0 connections"));
        } finally {
            proxy.resume();
        }
    }

    /** Before: Micrometer kept the first instance's gauges, which never counted the second's connections. */
    @Test
    void twoInstancesOnOneRegistryAndTagsCountTheConnectionsOfBoth() throws Exception {
        WarrenMetrics second = new WarrenMetrics(registry, Tags.of("service", "test"));
        try (BlockingConnection first = observed();
             BlockingConnection other = Warren.connect(ConnectionOptions.of(broker.uri()).withObserver(second))) {
            first.openChannel();
            other.openChannel();
            assertThat(gauge("warren.connections", null)).isEqualTo(2);
            assertThat(gauge("warren.channels", null)).isEqualTo(2);
        }
        assertThat(gauge("warren.connections", null)).isZero();
    }

    @Test
    void gaugesHaveBaseUnits() {
        assertThat(registry.get("warren.publishes.unconfirmed").gauge().getId().getBaseUnit()).isEqualTo("messages");
        assertThat(registry.get("warren.waiters").tag("operation", "take").gauge().getId().getBaseUnit())
                .isEqualTo("threads");
        assertThat(registry.get("warren.channels").gauge().getId().getBaseUnit()).isEqualTo("channels");
        assertThat(registry.get("warren.connections").gauge().getId().getBaseUnit()).isEqualTo("connections");
    }

    /** What the last failed check of an awaited condition saw, for the failure message. */
    private static volatile String lastSeen = "";

    private static void awaitTrue(BooleanSupplier condition) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime() - deadline).as("condition held within 20 s (last seen: %s)", lastSeen)
                    .isNegative();
            LockSupport.parkNanos(1_000_000);
        }
    }
}
