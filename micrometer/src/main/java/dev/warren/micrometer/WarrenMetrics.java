package dev.warren.micrometer;

import dev.warren.ClosedException;
import dev.warren.ConnectionStats;
import dev.warren.WarrenObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.BaseUnits;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.ToIntFunction;

/**
 * Warren's Micrometer meters: a {@link WarrenObserver} to pass to
 * {@code ConnectionOptions.withObserver}. One instance may serve any number of connections; its
 * gauges sum over those that are open. Two instances on one registry with the same common tags
 * share their meters, as Micrometer does, and so their gauges sum over the open connections of
 * both (a gauge registered second used to be dropped silently, and it read the first instance's
 * connections only). Names are plural and gauges carry a base unit, as Spring Boot's
 * dashboards expect; amqp-client's own {@code rabbitmq.*} meters come from
 * {@code ConnectionOptions.withMetricsCollector(new MicrometerMetricsCollector(registry))}.
 *
 * <table>
 * <caption>Meters</caption>
 * <tr><th>name</th><th>type</th><th>tags</th></tr>
 * <tr><td>{@code warren.publishes}</td><td>timer: from the call to the confirm</td><td>{@code outcome}: ack, nack, return, timeout, closed, interrupted, failed</td></tr>
 * <tr><td>{@code warren.calls}</td><td>timer: from the call to the reply</td><td>{@code outcome}: reply, nack, return, timeout, closed, interrupted, failed</td></tr>
 * <tr><td>{@code warren.deliveries}</td><td>counter</td><td></td></tr>
 * <tr><td>{@code warren.acks}</td><td>counter</td><td></td></tr>
 * <tr><td>{@code warren.nacks}</td><td>counter (nacks and rejects)</td><td>{@code requeue}: true, false</td></tr>
 * <tr><td>{@code warren.publishes.unconfirmed}</td><td>gauge, messages</td><td></td></tr>
 * <tr><td>{@code warren.waiters}</td><td>gauge, threads parked</td><td>{@code operation}: publish, call, take</td></tr>
 * <tr><td>{@code warren.channels}</td><td>gauge, open channels</td><td></td></tr>
 * <tr><td>{@code warren.connections}</td><td>gauge, open connections</td><td></td></tr>
 * <tr><td>{@code warren.channels.closed}</td><td>counter</td><td>{@code reply.code}, e.g. 200, 403, 404; {@code initiator}: broker, client</td></tr>
 * <tr><td>{@code warren.connections.lost}, {@code warren.recoveries}</td><td>counters</td><td></td></tr>
 * </table>
 *
 * <p>Every meter also carries the common tags given to {@link #WarrenMetrics(MeterRegistry, Iterable)}.
 * The timers and counters of the hot paths are made up front, so recording one costs no lookup;
 * nothing here blocks, so it is safe on amqp-client's reader thread.
 */
public final class WarrenMetrics implements WarrenObserver {
    private final MeterRegistry registry;
    private final Tags tags;
    private final Timer[] publish;
    private final Timer[] call;
    private final Counter deliveries;
    private final Counter acks;
    private final Counter nacksRequeued;
    private final Counter nacksDropped;
    private final Counter lost;
    private final Counter recoveries;
    /** The open connections the gauges read: shared with every instance on the same registry and tags. */
    private final Set<ConnectionStats> connections;

    /**
     * Meters in {@code registry}, without common tags and without client-side percentiles.
     *
     * @param registry where the meters go
     * @throws NullPointerException if {@code registry} is null
     */
    public WarrenMetrics(MeterRegistry registry) {
        this(registry, Tags.empty());
    }

    /**
     * Meters in {@code registry}, each with {@code commonTags}, without client-side percentiles.
     *
     * @param registry where the meters go
     * @param commonTags tags every meter carries (e.g. the service's name)
     * @throws NullPointerException if an argument is null
     */
    public WarrenMetrics(MeterRegistry registry, Iterable<Tag> commonTags) {
        this(registry, commonTags, new double[0]);
    }

    private WarrenMetrics(MeterRegistry registry, Iterable<Tag> commonTags, double[] percentiles) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.tags = Tags.of(Objects.requireNonNull(commonTags, "commonTags"));
        Outcome[] outcomes = Outcome.values();
        publish = new Timer[outcomes.length];
        call = new Timer[outcomes.length];
        for (Outcome o : outcomes) {
            publish[o.ordinal()] = timer("warren.publishes", "Confirmed publishes, from the call to the confirm",
                    o, percentiles);
            call[o.ordinal()] = timer("warren.calls", "Request/reply calls, from the call to the reply", o,
                    percentiles);
        }
        deliveries = Counter.builder("warren.deliveries").description("Deliveries to subscriptions").tags(tags)
                .register(registry);
        acks = Counter.builder("warren.acks").description("Deliveries acked").tags(tags).register(registry);
        nacksRequeued = nacks(true);
        nacksDropped = nacks(false);
        lost = Counter.builder("warren.connections.lost").description("Connections lost that recovery replaces")
                .tags(tags).register(registry);
        recoveries = Counter.builder("warren.recoveries").description("Lost connections replaced by new ones")
                .tags(tags).register(registry);
        connections = SharedConnections.of(registry, tags);
        gauge("warren.publishes.unconfirmed", "Messages published and not yet confirmed", BaseUnits.MESSAGES,
                Tags.empty(), ConnectionStats::unconfirmedPublishes);
        gauge("warren.waiters", "Threads parked in publish", BaseUnits.THREADS, Tags.of("operation", "publish"),
                ConnectionStats::parkedInPublish);
        gauge("warren.waiters", "Threads parked in call", BaseUnits.THREADS, Tags.of("operation", "call"),
                ConnectionStats::parkedInCall);
        gauge("warren.waiters", "Threads parked in take", BaseUnits.THREADS, Tags.of("operation", "take"),
                ConnectionStats::parkedInTake);
        gauge("warren.channels", "Open channels", "channels", Tags.empty(), ConnectionStats::openChannels);
        gauge("warren.connections", "Open connections", BaseUnits.CONNECTIONS, Tags.empty(), s -> 1);
    }

    /**
     * As {@link #WarrenMetrics(MeterRegistry, Iterable)}, and the two timers also publish these
     * client-side percentiles (e.g. 0.5, 0.99), which cost some work per publish.
     *
     * @param registry where the meters go
     * @param commonTags tags every meter carries
     * @param percentiles the percentiles, each in [0, 1]
     * @return the meters
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if a percentile is outside [0, 1]
     */
    public static WarrenMetrics withPercentiles(MeterRegistry registry, Iterable<Tag> commonTags,
            double... percentiles) {
        for (double p : percentiles) {
            if (!(p >= 0 && p <= 1)) {
                throw new IllegalArgumentException("a percentile is in [0, 1], not " + p);
            }
        }
        return new WarrenMetrics(registry, commonTags, percentiles.clone());
    }

    private Timer timer(String name, String description, Outcome o, double[] percentiles) {
        Timer.Builder b = Timer.builder(name).description(description).tags(tags).tag("outcome", o.tag());
        if (percentiles.length > 0) {
            b.publishPercentiles(percentiles);
        }
        return b.register(registry);
    }

    private Counter nacks(boolean requeue) {
        return Counter.builder("warren.nacks").description("Deliveries nacked or rejected").tags(tags)
                .tag("requeue", Boolean.toString(requeue)).register(registry);
    }

    /**
     * A gauge over the shared set of open connections. Registered again by a second instance on
     * the same registry and tags, Micrometer hands back the first gauge, which reads the same
     * set: nothing is lost, and the gauge holds the set (open connections only), not an instance.
     */
    private void gauge(String name, String description, String unit, Tags extra, ToIntFunction<ConnectionStats> value) {
        Gauge.builder(name, connections, set -> {
            long n = 0;
            for (ConnectionStats s : set) {
                n += value.applyAsInt(s);
            }
            return n;
        }).description(description).baseUnit(unit).tags(tags).tags(extra).strongReference(true).register(registry);
    }

    @Override
    public void published(String exchange, String routingKey, int bodySize, Outcome outcome, long nanos) {
        publish[outcome.ordinal()].record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void called(String exchange, String routingKey, Outcome outcome, long nanos) {
        call[outcome.ordinal()].record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void delivered(String queue) {
        deliveries.increment();
    }

    @Override
    public void acked() {
        acks.increment();
    }

    @Override
    public void nacked(boolean requeue) {
        (requeue ? nacksRequeued : nacksDropped).increment();
    }

    @Override
    public void connectionOpened(ConnectionStats stats) {
        connections.add(stats);
    }

    @Override
    public void connectionClosed(ConnectionStats stats) {
        connections.remove(stats);
    }

    @Override
    public void channelClosed(int replyCode, String replyText, String failedMethod, boolean initiatedByBroker,
            int failedOperations, int cancelledSubtasks) {
        // Rare: looked up (and made the first time) per close.
        Counter.builder("warren.channels.closed").description("Channels closed, by reply code").tags(tags)
                .tag("reply.code", Integer.toString(replyCode)).tag("initiator", initiatedByBroker ? "broker" : "client")
                .register(registry).increment();
    }

    @Override
    public void connectionLost(String connectionName, ClosedException cause) {
        lost.increment();
    }

    @Override
    public void recovered(String connectionName, int attempts, Duration outage) {
        recoveries.increment();
    }

    /**
     * The registry the meters are in.
     *
     * @return the registry
     */
    public MeterRegistry registry() {
        return registry;
    }

    @Override
    public String toString() {
        return "WarrenMetrics[" + registry.getClass().getSimpleName() + ", " + connections.size() + " connections]";
    }
}
