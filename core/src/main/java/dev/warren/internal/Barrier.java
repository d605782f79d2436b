package dev.warren.internal;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/** Written after everything its channel queued before it: waiting for it waits for those writes. */
final class Barrier implements Outbound {
    private final CompletableFuture<Void> done = new CompletableFuture<>();

    @Override
    public void write() {
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
