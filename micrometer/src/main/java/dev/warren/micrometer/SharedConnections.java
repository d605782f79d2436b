package dev.warren.micrometer;

import dev.warren.ConnectionStats;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The open connections whose gauges a registry shows under one set of common tags. Micrometer
 * keeps one gauge per name and tags, and the first registration wins; so every
 * {@link WarrenMetrics} on the same registry and tags adds its connections to one set, which
 * that gauge reads. Registries are held weakly: a registry dropped by the application takes its
 * sets with it.
 */
final class SharedConnections {
    private static final ReentrantLock LOCK = new ReentrantLock();
    private static final Map<MeterRegistry, Map<Tags, Set<ConnectionStats>>> SETS = new WeakHashMap<>();

    private SharedConnections() {}

    static Set<ConnectionStats> of(MeterRegistry registry, Tags tags) {
        LOCK.lock();
        try {
            return SETS.computeIfAbsent(registry, r -> new HashMap<>())
                    .computeIfAbsent(tags, t -> ConcurrentHashMap.newKeySet());
        } finally {
            LOCK.unlock();
        }
    }
}
