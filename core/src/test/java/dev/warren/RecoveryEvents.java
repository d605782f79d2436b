package dev.warren;

import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** Test support: records what a robust connection told its listener, in order, with the time. */
final class RecoveryEvents implements RecoveryListener {
    /** One event: lost, recovered or failed, when, and what it carried. */
    record Event(String kind, long nanos, Object detail) {}

    private final LinkedBlockingQueue<Event> events = new LinkedBlockingQueue<>();

    static RecoveryEvents on(RobustConnection rc) {
        RecoveryEvents e = new RecoveryEvents();
        rc.addListener(e);
        return e;
    }

    @Override
    public void connectionLost(ConnectionClosedException cause) {
        events.add(new Event("lost", System.nanoTime(), cause));
    }

    @Override
    public void connectionRecovered(String address, int attempts, Duration outage) {
        events.add(new Event("recovered", System.nanoTime(), address));
    }

    @Override
    public void recoveryFailed(ConnectFailedException lastFailure) {
        events.add(new Event("failed", System.nanoTime(), lastFailure));
    }

    /** The next event, which must be of {@code kind}, within {@code timeout}. */
    Event next(String kind, Duration timeout) throws InterruptedException {
        Event e = events.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
        if (e == null) {
            throw new AssertionError("no '" + kind + "' event within " + timeout);
        }
        if (!e.kind().equals(kind)) {
            throw new AssertionError("expected '" + kind + "', got " + e);
        }
        return e;
    }

    /** Whether no event is waiting. */
    boolean isEmpty() {
        return events.isEmpty();
    }
}
