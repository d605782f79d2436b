package dev.warren.demo;

import dev.warren.demo.Bench.Side;
import dev.warren.testing.JfrMarks;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.locks.ReentrantLock;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingStream;

/**
 * Counts {@code jdk.VirtualThreadPinned} events of at least {@link #THRESHOLD} (JFR's default
 * threshold) in this JVM, and tells how many fell in the runs of each row and side.
 *
 * <p>A JFR {@link RecordingStream} with that one event on, without stack traces, keeps only
 * each pin's start time; each run is bracketed by two {@link JfrMarks} marks, so pins are dated in
 * JFR's own clock. Other recordings in the JVM (a test's pinning check, publish-overhead's) may
 * lower the threshold; shorter pins are ignored here.
 */
final class PinCounter implements AutoCloseable {
    /** The shortest pin counted: JFR's default threshold for {@code jdk.VirtualThreadPinned}. */
    static final Duration THRESHOLD = Duration.ofMillis(20);
    private static final String PINNED = "jdk.VirtualThreadPinned";
    /** How long JFR may take to deliver the last mark (it flushes about once a second). */
    private static final Duration PATIENCE = Duration.ofSeconds(30);

    /** One run of one side of one row, between two marks. */
    private record Run(String row, Side side, long fromMark, long toMark) {}

    /** Warren's own JFR events, each kept off in this stream (by name: they may not be registered yet). */
    static final List<String> WARREN_EVENTS = List.of("dev.warren.Call", "dev.warren.ChannelClosed", "dev.warren.ConnectionLost", "dev.warren.Handle", "dev.warren.Publish", "dev.warren.Recovered", "dev.warren.Take");

    private final RecordingStream stream = new RecordingStream();
    private final JfrMarks marks = new JfrMarks(stream);
    private final ReentrantLock lock = new ReentrantLock();
    // Guarded by lock.
    private final List<Instant> pins = new ArrayList<>();
    private final List<Run> runs = new ArrayList<>();

    private PinCounter() {
        stream.enable(PINNED).withThreshold(THRESHOLD).withoutStackTrace();
        stream.onEvent(PINNED, this::pinned);
        // A recording turns on every event that is enabled by default, Warren's among them, and
        // Warren then times every publish and call for JFR: the bench would measure that.
        for (String warrenEvent : WARREN_EVENTS) {
            stream.disable(warrenEvent);
        }
        stream.startAsync();
    }

    /** Starts counting now. */
    static PinCounter start() {
        return new PinCounter();
    }

    /** Runs {@code run} as a run of {@code side} of {@code row}, whose pins are then counted for it. */
    <T> T during(String row, Side side, Callable<T> run) throws Exception {
        long from = marks.mark();
        try {
            return run.call();
        } finally {
            long to = marks.mark();
            locked(() -> runs.add(new Run(row, side, from, to)));
        }
    }

    /**
     * Waits until every pin up to now has come through, then returns the count of each row's
     * sides that ran (row key to side to pins), summed over their runs.
     *
     * @throws IllegalStateException when JFR delivers nothing for {@link #PATIENCE}
     */
    Map<String, Map<Side, Long>> counts() throws InterruptedException {
        marks.await(marks.mark(), PATIENCE);
        lock.lock();
        try {
            Map<String, Map<Side, Long>> counts = new HashMap<>();
            for (Run run : runs) {
                Instant from = marks.timeOf(run.fromMark());
                Instant to = marks.timeOf(run.toMark());
                long n = pins.stream().filter(p -> !p.isBefore(from) && p.isBefore(to)).count();
                counts.computeIfAbsent(run.row(), k -> new EnumMap<>(Side.class)).merge(run.side(), n, Long::sum);
            }
            return counts;
        } finally {
            lock.unlock();
        }
    }

    /** Keeps the start of a pin that lasted the threshold or more. */
    private void pinned(RecordedEvent e) {
        if (e.getDuration().compareTo(THRESHOLD) >= 0) {
            locked(() -> pins.add(e.getStartTime()));
        }
    }

    /** Runs {@code action} holding the lock and returns what it returns. */
    private <T> T locked(java.util.function.Supplier<T> action) {
        lock.lock();
        try {
            return action.get();
        } finally {
            lock.unlock();
        }
    }

    /** Stops the stream. */
    @Override
    public void close() {
        stream.close();
    }
}
