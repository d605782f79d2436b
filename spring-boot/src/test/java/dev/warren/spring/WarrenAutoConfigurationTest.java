package dev.warren.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.warren.BlockingChannel;
import dev.warren.BlockingConnection;
import dev.warren.ConnectionOptions;
import dev.warren.ConsumeOptions;
import dev.warren.DrainReport;
import dev.warren.Message;
import dev.warren.QueueSpec;
import dev.warren.RobustConnection;
import dev.warren.Subscription;
import dev.warren.Warren;
import dev.warren.Work;
import dev.warren.micrometer.WarrenMetrics;
import dev.warren.opentelemetry.WarrenTracing;
import dev.warren.testing.RabbitBroker;
import dev.warren.testing.RabbitExtension;
import dev.warren.testing.TcpProxy;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The auto-configuration against the real broker, in an {@link ApplicationContextRunner}. */
@ExtendWith(RabbitExtension.class)
@Timeout(120)
class WarrenAutoConfigurationTest {
    private static final Logger LOG = LoggerFactory.getLogger(WarrenAutoConfigurationTest.class);

    private RabbitBroker broker;
    private URI uri;
    private ApplicationContextRunner runner;

    @BeforeEach
    void setUp(RabbitBroker broker) {
        this.broker = broker;
        this.uri = URI.create(broker.uri());
        this.runner = new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(WarrenAutoConfiguration.class))
                .withPropertyValues(brokerProperties(uri.getPort()));
    }

    /** The shared broker's host, port and credentials as spring.rabbitmq.* keys, at {@code port}. */
    private String[] brokerProperties(int port) {
        String[] user = uri.getUserInfo() == null ? new String[] {"guest", "guest"} : uri.getUserInfo().split(":", 2);
        return new String[] {"spring.rabbitmq.host=" + uri.getHost(), "spring.rabbitmq.port=" + port,
            "spring.rabbitmq.username=" + user[0], "spring.rabbitmq.password=" + user[1]};
    }

    @Test
    void propertiesBindToTheConnectionOptions() {
        runner.withPropertyValues("spring.rabbitmq.virtual-host=/", "spring.rabbitmq.connection-timeout=4s",
                "spring.rabbitmq.requested-heartbeat=15", "warren.connection-name=props-test",
                "warren.publish-timeout=7s", "warren.recovery.initial-backoff=20ms",
                "warren.recovery.max-backoff=2s", "warren.recovery.max-attempts=9").run(ctx -> {
                    assertThat(ctx).hasNotFailed().hasSingleBean(RobustConnection.class);
                    ConnectionOptions o = ctx.getBean(ConnectionOptions.class);
                    assertThat(o.uri()).isEqualTo("amqp://" + uri.getRawUserInfo() + "@" + uri.getHost() + ":"
                            + uri.getPort() + "/%2F");
                    assertThat(o.connectTimeout()).isEqualTo(Duration.ofSeconds(4));
                    assertThat(o.heartbeat()).isEqualTo(Duration.ofSeconds(15));
                    assertThat(o.connectionName()).isEqualTo("props-test");
                    assertThat(o.publishTimeout()).isEqualTo(Duration.ofSeconds(7));
                    assertThat(o.recovery().initial()).isEqualTo(Duration.ofMillis(20));
                    assertThat(o.recovery().max()).isEqualTo(Duration.ofSeconds(2));
                    assertThat(o.recovery().maxAttempts()).isEqualTo(9);
                    RobustConnection rc = ctx.getBean(RobustConnection.class);
                    assertThat(rc.isOpen()).isTrue();
                    assertThat(rc.name()).isEqualTo("props-test");
                });
    }

    @Test
    void backsOffWhenTheApplicationDefinesItsOwnConnection() {
        runner.withUserConfiguration(OwnConnection.class).run(ctx -> {
            assertThat(ctx).hasSingleBean(RobustConnection.class);
            assertThat(ctx.getBean(RobustConnection.class).name()).isEqualTo("the-applications-own");
            assertThat(ctx).hasSingleBean(WarrenHealthIndicator.class);
        });
    }

    @Test
    void metricsAreBoundWhenAMeterRegistryIsThere() {
        runner.withUserConfiguration(Registry.class).run(ctx -> {
            assertThat(ctx).hasSingleBean(WarrenMetrics.class).doesNotHaveBean(WarrenTracing.class);
            ctx.getBean(RobustConnection.class).publish("", "warren.spring.nowhere", Message.text("counted"));
            MeterRegistry registry = ctx.getBean(MeterRegistry.class);
            assertThat(registry.find("warren.publishes").timers()).anyMatch(t -> t.count() == 1);
        });
    }

    @Test
    void noMetricsNorTracesWithoutTheirBeans() {
        runner.run(ctx -> {
            assertThat(ctx).doesNotHaveBean(WarrenMetrics.class).doesNotHaveBean(WarrenTracing.class);
            assertThat(ctx.getBean(ConnectionOptions.class).observer()).isNull();
        });
    }

    @Test
    void metricsAndTracesTogetherWhenBothAreThere() {
        runner.withUserConfiguration(Registry.class, Telemetry.class).run(ctx -> {
            assertThat(ctx).hasSingleBean(WarrenMetrics.class).hasSingleBean(WarrenTracing.class);
            assertThat(ctx.getBean(ConnectionOptions.class).observer())
                    .isNotInstanceOf(WarrenMetrics.class).isNotInstanceOf(WarrenTracing.class);
            ctx.getBean(RobustConnection.class).publish("", "warren.spring.nowhere", Message.text("counted"));
            assertThat(ctx.getBean(MeterRegistry.class).find("warren.publishes").timers()).anyMatch(t -> t.count() == 1);
        });
    }

    /**
     * The health indicator across a recovery: the link to the broker is cut (and held, so that
     * the reconnect waits) through a proxy of this test's own; the shared broker is untouched.
     */
    @Test
    void healthGoesDownWhileRecoveringAndUpAfter() throws Exception {
        try (TcpProxy proxy = new TcpProxy(broker.uri())) {
            runner.withPropertyValues(brokerProperties(proxy.port()))
                    .withPropertyValues("spring.rabbitmq.connection-timeout=2s", "warren.connection-name=health-test",
                            "warren.recovery.initial-backoff=20ms", "warren.recovery.max-backoff=200ms")
                    .run(ctx -> {
                        WarrenHealthIndicator health = ctx.getBean(WarrenHealthIndicator.class);
                        await(() -> health.health().getDetails().containsKey("brokerVersion"));
                        Health up = health.health();
                        LOG.info("health before the cut: {}", up);
                        assertThat(up.getStatus()).isEqualTo(Status.UP);
                        assertThat(up.getDetails()).containsEntry("recoveries", 0)
                                .containsEntry("address", uri.getHost() + ":" + proxy.port()) // as configured
                                .containsEntry("connection", "health-test");

                        proxy.pause();
                        proxy.cut();
                        await(() -> health.health().getStatus().equals(Status.DOWN));
                        await(() -> health.health().getDetails().containsKey("lastCause"));
                        Health down = health.health();
                        LOG.info("health while recovering: {}", down);
                        assertThat(down.getDetails()).containsEntry("state", "recovering")
                                .doesNotContainKey("address");

                        proxy.resume();
                        await(() -> health.health().getStatus().equals(Status.UP)
                                && health.health().getDetails().containsKey("brokerVersion"));
                        Health again = health.health();
                        LOG.info("health after the recovery: {}", again);
                        assertThat(again.getDetails()).containsEntry("recoveries", 1);
                    });
        }
    }

    /**
     * A forced close of this test's own connection (320, rabbitmqctl close_connection) on the
     * shared broker: the health indicator is asked from the loss listener, so the DOWN it reports
     * is seen however fast the recovery is.
     */
    @Test
    void healthShowsTheBrokersForcedCloseAsTheLastCause() {
        String name = "warren.spring.health-320." + ProcessHandle.current().pid() + "." + System.nanoTime();
        runner.withPropertyValues("warren.connection-name=" + name, "warren.recovery.initial-backoff=20ms",
                "warren.recovery.max-backoff=200ms").run(ctx -> {
                    WarrenHealthIndicator health = ctx.getBean(WarrenHealthIndicator.class);
                    RobustConnection rc = ctx.getBean(RobustConnection.class);
                    CompletableFuture<Health> whenLost = new CompletableFuture<>();
                    rc.addListener(new dev.warren.RecoveryListener() {
                        @Override
                        public void connectionLost(dev.warren.ConnectionClosedException cause) {
                            whenLost.complete(health.health());
                        }
                    });
                    await(() -> health.health().getDetails().containsKey("brokerVersion"));
                    assertThat(broker.admin().closeConnection(name, "warren health test")).isEqualTo(1);
                    Health down = whenLost.get(30, TimeUnit.SECONDS);
                    LOG.info("health when the broker forced the close: {}", down);
                    assertThat(down.getStatus()).isEqualTo(Status.DOWN);
                    assertThat((String) down.getDetails().get("lastCause")).contains("320")
                            .contains("warren health test");
                    await(() -> health.health().getStatus().equals(Status.UP) && rc.recoveries() == 1);
                    LOG.info("health after the recovery: {}", health.health());
                });
    }

    /**
     * A work bean starts with the context and is drained when it closes: its subscription is
     * cancelled, what it had buffered is handled and acked, and what was never delivered stays queued.
     */
    @Test
    void shutdownDrainsTheSupervisedWorks() throws Exception {
        String q = dev.warren.testing.Declared.name("warren.spring.drain");
        try (BlockingConnection admin = Warren.connect(broker.uri()); BlockingChannel ch = admin.openChannel()) {
            ch.queueDeclare(QueueSpec.named(q).withDurable(false).withArgument("x-expires", 120_000));
            for (int i = 0; i < 50; i++) {
                ch.publish("", q, Message.text("m" + i));
            }
            CountDownLatch fourRunning = new CountDownLatch(4);
            CountDownLatch release = new CountDownLatch(1);
            AtomicInteger acked = new AtomicInteger();
            AtomicReference<Subscription> subscription = new AtomicReference<>();
            Work consumer = conn -> {
                try (BlockingChannel wc = conn.openChannel();
                        Subscription s = wc.consume(q, ConsumeOptions.defaults().withPrefetch(10))) {
                    subscription.set(s);
                    s.handle(4, d -> {
                        fourRunning.countDown();
                        release.await();
                        d.ack();
                        acked.incrementAndGet();
                    });
                }
            };
            AtomicReference<WarrenLifecycle> lifecycle = new AtomicReference<>();
            CompletableFuture<Void> closed = new CompletableFuture<>();
            runner.withBean("ordersConsumer", Work.class, () -> consumer)
                    .withPropertyValues("spring.lifecycle.timeout-per-shutdown-phase=20s").run(ctx -> {
                        lifecycle.set(ctx.getBean(WarrenLifecycle.class));
                        assertThat(lifecycle.get().grace()).isEqualTo(Duration.ofSeconds(18));
                        assertThat(fourRunning.await(10, TimeUnit.SECONDS)).as("the work started").isTrue();
                        // The context closes when this returns; the handlers go on once the drain has cancelled.
                        Thread.ofVirtual().start(() -> {
                            await(() -> !subscription.get().isActive());
                            release.countDown();
                            closed.complete(null);
                        });
                    });
            closed.get(30, TimeUnit.SECONDS);
            DrainReport report = lifecycle.get().lastDrain();
            LOG.info("shutdown drain: handed out 10 (4 running, 6 buffered), acked {}, {} left queued; {}",
                    acked.get(), ch.queueDeclarePassive(q).messageCount(), report);
            assertThat(report.complete()).as(report.toString()).isTrue();
            assertThat(report.subscriptionsCancelled()).isEqualTo(1);
            assertThat(acked).hasValue(10);
            assertThat(ch.queueDeclarePassive(q).messageCount()).isEqualTo(40);
            assertThat(lifecycle.get().supervised()).allMatch(dev.warren.Supervised::isDone);
            ch.queueDelete(q);
        }
    }

    private static void await(BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime() - deadline).as("condition within 30 s").isNegative();
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnConnection {
        @Bean(destroyMethod = "close")
        RobustConnection ownRobustConnection() {
            String u = RabbitBroker.shared().uri();
            return Warren.connectRobust(ConnectionOptions.of(u).withConnectionName("the-applications-own"));
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class Registry {
        @Bean
        MeterRegistry meterRegistry() {
            return new SimpleMeterRegistry();
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class Telemetry {
        @Bean
        OpenTelemetry openTelemetry() {
            return OpenTelemetrySdk.builder().build();
        }
    }
}
