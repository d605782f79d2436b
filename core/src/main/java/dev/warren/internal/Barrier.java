package dev.warren.internal;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Written after everything its channel queued before it: waiting for it waits for those writes,
 * sent to the socket (the writer's burst is flushed first), so that what a caller does next on
 * another connection comes after them.
 */
final class Barrier implements Outbound {
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private final Writer writer;

    Barrier(Writer writer) {
        this.writer = writer;
    }

    @Override
    public void write() {
        writer.flushBurst();
        done.complete(null);
    }

    @Override
    public void abandon(Throwable cause) {
        done.complete(null);
    }

    /** Waits until written or abandoned, at most {@code bound}; ignores interrupts, keeping the status. */
    void awaitQuietly(Duration bound) {
        Offload.awaitQuietly(done, bound);
    }
}
