package dev.warren.internal;

import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Consumer;

/**
 * The messages of one channel awaiting their confirm, by sequence number. A ring indexed by
 * the sequence number serves the usual case without allocating; a message whose slot is still
 * taken by an older one (the broker confirms out of order across queues, or more are in flight
 * than the ring holds) goes to a side map, sorted, so that a multiple confirm finds its part of
 * it without looking at the rest.
 *
 * <p>Sequence numbers are added in increasing order by the connection's one writer thread;
 * confirms remove them on amqp-client's reader thread; a failed write or the close may remove
 * them from other threads. Every removal is a compare-and-set, so each
 * message is taken exactly once.
 */
final class ConfirmTable {
    private final AtomicReferenceArray<Confirmation> ring;
    private final int mask;
    private final ConcurrentSkipListMap<Long, Confirmation> overflow = new ConcurrentSkipListMap<>();
    /** No message below this sequence number is in the table; advanced by the reader thread. */
    private long lowest = 1;
    /** The highest sequence number put: a confirm beyond it is for nothing that was sent. */
    private volatile long highest;

    ConfirmTable(int maxUnconfirmed) {
        // At least twice the bound, so that in-order confirms never collide; larger bounds share
        // a capped ring and use the side map for the rest.
        int size = Integer.highestOneBit(Math.min(Math.max(64, maxUnconfirmed), 1 << 15) * 2 - 1) << 1;
        ring = new AtomicReferenceArray<>(size);
        mask = size - 1;
    }

    void put(long seq, Confirmation c) {
        c.seq = seq;
        if (!ring.compareAndSet(index(seq), null, c)) {
            overflow.put(seq, c);
        }
        highest = Math.max(highest, seq);
    }

    /**
     * The highest sequence number put, 0 before the first. A message is put before it is
     * written, so a confirm the broker sends for what was written is never above it.
     */
    long highest() {
        return highest;
    }

    /** No message below this sequence number is in the table (for tests). */
    long lowest() {
        return lowest;
    }

    /** The message with this sequence number, left in the table; null if there is none. */
    Confirmation get(long seq) {
        Confirmation c = ring.get(index(seq));
        return c != null && c.seq == seq ? c : overflow.get(seq);
    }

    /** Takes the message with this sequence number out; null if there is none. */
    Confirmation remove(long seq) {
        int i = index(seq);
        Confirmation c = ring.get(i);
        if (c != null && c.seq == seq && ring.compareAndSet(i, c, null)) {
            return c;
        }
        return overflow.remove(seq);
    }

    /**
     * On the reader thread: the message with the lowest sequence number, up to {@code upTo},
     * that {@code test} accepts, left in the table; null if there is none. A scan of what is in
     * flight, for the rare returned message.
     */
    Confirmation oldestMatching(long upTo, java.util.function.Predicate<Confirmation> test) {
        for (long s = lowest; s <= upTo; s++) {
            Confirmation c = get(s);
            if (c != null && test.test(c)) {
                return c;
            }
        }
        return null;
    }

    /** Takes {@code c} out if it is still in; whether it was. */
    boolean remove(long seq, Confirmation c) {
        return ring.compareAndSet(index(seq), c, null) || overflow.remove(seq, c);
    }

    /**
     * On the reader thread: takes out every message up to {@code tag} (a multiple confirm),
     * clamped to the highest sequence number put. It looks at each ring slot at most once and at
     * the side map's entries up to the tag only, so its cost is bounded by what is in flight
     * whatever tag the broker sends (a tag of 2^40 would otherwise be 10^12 lookups on the
     * reader thread).
     */
    void removeUpTo(long tag, Consumer<Confirmation> each) {
        long upTo = Math.min(tag, highest);
        if (upTo < lowest) {
            return;
        }
        // Every message in the ring is at or above `lowest`, one per slot, so the slots of
        // lowest..upTo (all of them, once, when the span is wider than the ring) hold every one
        // that this confirm settles.
        long end = upTo - lowest >= ring.length() ? lowest + ring.length() - 1 : upTo;
        for (long s = lowest; s <= end; s++) {
            int i = index(s);
            Confirmation c = ring.get(i);
            if (c != null && c.seq <= upTo && ring.compareAndSet(i, c, null)) {
                each.accept(c);
            }
        }
        // Nothing below `lowest` is put, so this finds nothing the loop left; it stays cheap
        // (the first key) however many messages beyond the ring are in flight.
        Map.Entry<Long, Confirmation> e;
        while ((e = overflow.firstEntry()) != null && e.getKey() <= upTo) {
            if (overflow.remove(e.getKey(), e.getValue())) {
                each.accept(e.getValue());
            }
        }
        lowest = upTo + 1;
    }

    /**
     * On the reader thread: takes out one message (a single confirm). {@code lowest} moves past
     * every number already settled, so that out-of-order single confirms do not leave it behind
     * and make each scan of {@link #oldestMatching} cost the whole span since.
     */
    Confirmation removeOne(long tag) {
        if (tag > highest) {
            return null;
        }
        Confirmation c = remove(tag);
        if (tag == lowest) {
            long top = highest;
            do {
                lowest++;
            } while (lowest <= top && get(lowest) == null);
        }
        return c;
    }

    /** Visits every message in the table, leaving it there (a count on close). */
    void forEach(Consumer<Confirmation> each) {
        for (int i = 0; i < ring.length(); i++) {
            Confirmation c = ring.get(i);
            if (c != null) {
                each.accept(c);
            }
        }
        overflow.values().forEach(each);
    }

    /** Takes out every message, on any thread (the close). */
    void drain(Consumer<Confirmation> each) {
        for (int i = 0; i < ring.length(); i++) {
            Confirmation c = ring.getAndSet(i, null);
            if (c != null) {
                each.accept(c);
            }
        }
        for (Long s : overflow.keySet()) {
            Confirmation c = overflow.remove(s);
            if (c != null) {
                each.accept(c);
            }
        }
    }

    private int index(long seq) {
        return (int) seq & mask;
    }
}
