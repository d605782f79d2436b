package dev.warren.testing;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;
import jdk.jfr.consumer.RecordedClass;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingStream;

/**
 * The JVM's one JFR stream of {@code jdk.VirtualThreadPinned} events and, below Java 24 (where a
 * virtual thread blocked on a monitor keeps its carrier), of {@code jdk.JavaMonitorEnter} events
 * of virtual threads; threshold 0, with stack traces. Started on first use and kept until the
 * JVM exits. Events arrive about once a second
 * (JFR's flush); {@link #mark()} and {@link #await(long)} date a moment in JFR's own clock and
 * wait until every pin before it has arrived.
 */
final class Pins {
    /** Enough for any test run; beyond it pins are counted but not kept. */
    private static final int MAX_KEPT = 100_000;
    private static final Duration FLUSH_LIMIT = Duration.ofSeconds(20);
    private static final ReentrantLock INSTANCE_LOCK = new ReentrantLock();
    private static Pins instance;

    private final RecordingStream stream = new RecordingStream();
    private final JfrMarks marks = new JfrMarks(stream);
    private final ReentrantLock lock = new ReentrantLock();
    private final List<Pin> pins = new ArrayList<>();
    private long dropped;

    private Pins() {
        stream.enable("jdk.VirtualThreadPinned").withThreshold(Duration.ZERO).withStackTrace();
        stream.onEvent("jdk.VirtualThreadPinned", e -> pinned(e, "parked"));
        if (Runtime.version().feature() < 24) {
            stream.enable("jdk.JavaMonitorEnter").withThreshold(Duration.ZERO).withStackTrace();
            stream.onEvent("jdk.JavaMonitorEnter", e -> {
                if (e.getThread() != null && e.getThread().isVirtual()) {
                    RecordedClass monitor = e.getClass("monitorClass");
                    String name = monitor == null ? "?" : monitor.getName();
                    pinned(e, classLoading(e, name) ? Pin.CLASS_INIT_WAIT : "entering a monitor of " + name);
                }
            });
        }
        stream.startAsync();
    }

    /** The JVM's stream, started now if it was not yet. */
    static Pins get() {
        INSTANCE_LOCK.lock();
        try {
            if (instance == null) {
                instance = new Pins();
            }
            return instance;
        } finally {
            INSTANCE_LOCK.unlock();
        }
    }

    /** The stream if it was started, else null: nothing was checked in this JVM. */
    static Pins ifStarted() {
        INSTANCE_LOCK.lock();
        try {
            return instance;
        } finally {
            INSTANCE_LOCK.unlock();
        }
    }

    /** Commits a mark now and returns its id (see {@link JfrMarks}). */
    long mark() {
        return marks.mark();
    }

    /**
     * Waits until mark {@code id} and the flush after it have come through, so that every pin
     * committed before the mark is in {@link #pins()}, and returns the mark's time.
     *
     * @throws IllegalStateException when JFR delivers nothing for {@value #FLUSH_LIMIT} (which is
     *     20 s): a check that cannot see the pins must not pass
     */
    Instant await(long id) throws InterruptedException {
        return marks.await(id, FLUSH_LIMIT);
    }

    /** The time of a mark that has come through, or null. */
    Instant timeOf(long id) {
        return marks.timeOf(id);
    }

    /** Every pin that has come through so far (a copy). */
    List<Pin> pins() {
        lock.lock();
        try {
            return List.copyOf(pins);
        } finally {
            lock.unlock();
        }
    }

    /** How many pins came through in all, kept or not. */
    long count() {
        lock.lock();
        try {
            return pins.size() + dropped;
        } finally {
            lock.unlock();
        }
    }

    /** Forgets the pins that {@code which} selects (pins a test made on purpose); returns how many. */
    long forget(Predicate<Pin> which) {
        lock.lock();
        try {
            int before = pins.size();
            pins.removeIf(which);
            return before - pins.size();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Whether a monitor enter waits for another thread to load or initialize a class: HotSpot's
     * lock for initializing a class is an int[], and class loaders lock per class name.
     */
    private static boolean classLoading(RecordedEvent e, String monitor) {
        if (monitor.equals("[I")) {
            return true;
        }
        List<RecordedFrame> frames = e.getStackTrace() == null ? List.of() : e.getStackTrace().getFrames();
        if (frames.isEmpty()) {
            return false;
        }
        String top = frames.getFirst().getMethod().getType().getName();
        return top.startsWith("jdk.internal.loader.") || top.equals("java.lang.ClassLoader");
    }

    private void pinned(RecordedEvent e, String kind) {
        List<String> frames = new ArrayList<>();
        if (e.getStackTrace() != null) {
            for (RecordedFrame f : e.getStackTrace().getFrames()) {
                frames.add(f.getMethod().getType().getName() + "." + f.getMethod().getName());
            }
        }
        Pin pin = new Pin(e.getStartTime(), e.getDuration(), kind, List.copyOf(frames));
        lock.lock();
        try {
            if (pins.size() < MAX_KEPT) {
                pins.add(pin);
            } else {
                dropped++;
            }
        } finally {
            lock.unlock();
        }
    }

    /** Whether {@code t} lies in [from, to]; an open end ({@code null}) reaches into the future. */
    static boolean within(Instant t, Instant from, Instant to) {
        return !t.isBefore(from) && (to == null || !t.isAfter(to));
    }
}
