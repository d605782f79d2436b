package dev.warren.testing;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingStream;

/**
 * Moments dated in a JFR stream's own clock, so that the stream's other events can be told apart
 * by when they happened: {@link #mark()} commits a mark event, and {@link #await} waits until it
 * has come through with the flush after it, by which time every event committed before the mark
 * has come through too (JFR delivers a flush's events before it runs the flush's actions).
 * Used by the pinning check of the tests and by the demo's benchmark to count pins per run.
 */
public final class JfrMarks {
    private static final String NAME = JfrMark.class.getAnnotation(jdk.jfr.Name.class).value();

    private final AtomicLong nextMark = new AtomicLong();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition flushed = lock.newCondition();
    // Guarded by lock: marks seen in the flush under way, and marks whose flush is over.
    private final Map<Long, Instant> seen = new HashMap<>();
    private final Map<Long, Instant> trusted = new HashMap<>();

    /**
     * Follows the marks on {@code stream}: enables the mark event there and listens for it and
     * for the stream's flushes. Call it before the stream starts.
     *
     * @param stream the stream whose events are to be dated
     */
    public JfrMarks(RecordingStream stream) {
        stream.enable(JfrMark.class);
        stream.onEvent(NAME, this::marked);
        stream.onFlush(this::flushed);
    }

    /**
     * Commits a mark now.
     *
     * @return its id, for {@link #await} and {@link #timeOf}
     */
    public long mark() {
        long id = nextMark.incrementAndGet();
        new JfrMark(id).commit();
        return id;
    }

    /**
     * Waits until mark {@code id} and the flush after it have come through, so that every event
     * committed before the mark has come through too.
     *
     * @param id a mark's id
     * @param limit how long JFR may take to deliver it
     * @return the mark's time
     * @throws IllegalStateException when JFR does not deliver it within {@code limit}: a check
     *         that cannot see the events must not pass
     * @throws InterruptedException when interrupted while waiting
     */
    public Instant await(long id, Duration limit) throws InterruptedException {
        long left = limit.toNanos();
        lock.lock();
        try {
            Instant at;
            while ((at = trusted.get(id)) == null) {
                if (left <= 0) {
                    throw new IllegalStateException("JFR did not deliver mark " + id + " within " + limit);
                }
                left = flushed.awaitNanos(left);
            }
            return at;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The time of a mark that has come through (its flush over or not).
     *
     * @param id a mark's id
     * @return its time, or null while it has not come through
     */
    public Instant timeOf(long id) {
        lock.lock();
        try {
            Instant at = trusted.get(id);
            return at != null ? at : seen.get(id);
        } finally {
            lock.unlock();
        }
    }

    private void marked(RecordedEvent e) {
        lock.lock();
        try {
            seen.put(e.getLong("id"), e.getStartTime());
        } finally {
            lock.unlock();
        }
    }

    /** The flush just over brought every event committed before its marks: trust them now. */
    private void flushed() {
        lock.lock();
        try {
            trusted.putAll(seen);
            seen.clear();
            flushed.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
