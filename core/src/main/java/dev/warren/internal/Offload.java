package dev.warren.internal;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs one of amqp-client's own blocking operations (opening or closing a channel or the
 * connection) on a thread of Warren's, so that the caller's thread never writes to the socket
 * (an interrupt there would close it) and a caller that stops waiting leaves the operation to
 * finish by itself. A platform thread: amqp-client waits for the broker's answer in a monitor,
 * which on Java 21 would pin a virtual thread's carrier for the whole round trip. These
 * operations are rare (a few per channel).
 */
public final class Offload {
    private static final AtomicLong COUNT = new AtomicLong();

    private Offload() {}

    /** Starts {@code call} now; its future completes with the result or what it threw. */
    public static <T> CompletableFuture<T> start(String what, ChannelContext.IoCall<T> call) {
        CompletableFuture<T> result = new CompletableFuture<>();
        Thread.ofPlatform().daemon(true).name(Connector.THREAD_PREFIX + what + "-" + COUNT.incrementAndGet())
                .start(() -> {
                    try {
                        result.complete(call.call());
                    } catch (Throwable t) {
                        result.completeExceptionally(t);
                    }
                });
        return result;
    }

    /**
     * Waits for {@code f} through interrupts (amqp-client bounds the operation itself), setting
     * the interrupt status again afterwards, and returns its result or throws what it threw.
     */
    public static <T> T await(CompletableFuture<T> f) throws IOException {
        boolean interrupted = false;
        try {
            for (;;) {
                try {
                    return f.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    Throwable cause = e.getCause();
                    if (cause instanceof IOException io) {
                        throw io;
                    }
                    if (cause instanceof RuntimeException r) {
                        throw r;
                    }
                    if (cause instanceof Error err) {
                        throw err;
                    }
                    throw new IOException(cause);
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Waits for {@code f} at most {@code bound} whatever its outcome; ignores interrupts, keeping the status. */
    public static void awaitQuietly(CompletableFuture<?> f, Duration bound) {
        long deadline = System.nanoTime() + Durations.saturatedNanos(bound);
        boolean interrupted = false;
        try {
            for (;;) {
                try {
                    f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                    return;
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException | TimeoutException e) {
                    return;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
