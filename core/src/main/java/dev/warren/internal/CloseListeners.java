package dev.warren.internal;

import dev.warren.ClosedException;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * The application's close listeners of a channel or connection: each runs once, in a virtual
 * thread of its own, so that the closing thread (often amqp-client's reader) only hands over.
 */
public final class CloseListeners {
    private final String threadName;
    private final ConcurrentLinkedQueue<Consumer<ClosedException>> listeners = new ConcurrentLinkedQueue<>();
    private final AtomicReference<ClosedException> fired = new AtomicReference<>();

    /** @param threadName the name of the virtual threads the listeners run in */
    public CloseListeners(String threadName) {
        this.threadName = threadName;
    }

    /** Adds a listener; if the close was fired already, it starts at once. */
    public void add(Consumer<ClosedException> listener) {
        Objects.requireNonNull(listener, "listener");
        listeners.add(listener);
        // Added, then the flag read: either fire() sees the listener or this sees the close.
        ClosedException c = fired.get();
        if (c != null && listeners.remove(listener)) {
            start(threadName, listener, c);
        }
    }

    /** Starts every listener with {@code cause}, once; later calls do nothing. Never blocks. */
    public void fire(ClosedException cause) {
        if (!fired.compareAndSet(null, cause)) {
            return;
        }
        Consumer<ClosedException> l;
        while ((l = listeners.poll()) != null) {
            start(threadName, l, cause);
        }
    }

    /** Runs {@code listener} with {@code cause} in a new virtual thread named {@code name}. */
    public static void start(String name, Consumer<ClosedException> listener, ClosedException cause) {
        Thread.ofVirtual().name(name).start(() -> listener.accept(cause));
    }
}
