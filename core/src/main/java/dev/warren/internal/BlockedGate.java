package dev.warren.internal;

import java.util.concurrent.CompletableFuture;

/**
 * Whether the broker has a connection blocked (connection.blocked, sent on a memory or disk
 * alarm), and a future that completes when it is unblocked. Flipped by amqp-client's thread
 * only; read by publishers.
 */
public final class BlockedGate {
    private static final CompletableFuture<Void> OPEN = CompletableFuture.completedFuture(null);

    private volatile CompletableFuture<Void> whenOpen = OPEN;
    private volatile String reason;
    /** How many times the broker blocked the connection; written by amqp-client's thread only. */
    private volatile long blocks;

    /** Called by amqp-client's thread on connection.blocked. */
    public void block(String why) {
        reason = why == null ? "" : why;
        blocks++;
        if (whenOpen.isDone()) {
            whenOpen = new CompletableFuture<>();
        }
    }

    /** Called by amqp-client's thread on connection.unblocked, and when the connection closes. */
    public void unblock() {
        reason = null;
        whenOpen.complete(null);
    }

    /** Whether the broker has the connection blocked. */
    public boolean isBlocked() {
        return reason != null;
    }

    /** How many times the broker has blocked the connection so far (to tell whether it did during a wait). */
    public long blocks() {
        return blocks;
    }

    /** The broker's reason (e.g. {@code low on memory}), or null when not blocked. */
    public String reason() {
        return reason;
    }

    /**
     * A new future, private to the caller, that completes when the connection is unblocked
     * (at once if it is not blocked). Each waiter gets its own so that a channel close that
     * fails one waiter never touches the others.
     */
    public CompletableFuture<Void> whenOpen() {
        return whenOpen.copy();
    }
}
