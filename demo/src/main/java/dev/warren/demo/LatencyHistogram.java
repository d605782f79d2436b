package dev.warren.demo;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Latencies in nanoseconds, recorded from any number of threads without locks, with a relative
 * error of at most 1/32 (about 3 %).
 *
 * <p>A fixed log-linear bucket array rather than a list of samples: a thousand virtual threads
 * each record with one atomic increment, and memory stays the same however long the run.
 */
public final class LatencyHistogram {
    /** Each power of two is split in 2^SUB_BITS equal buckets. */
    private static final int SUB_BITS = 5;
    private static final int SUB = 1 << SUB_BITS;
    /** Up to 2^62 ns: anything a run can record. */
    private static final int BUCKETS = (63 - SUB_BITS) * SUB + SUB;

    private final AtomicLongArray counts = new AtomicLongArray(BUCKETS);

    /** Records one latency; negative values count as zero. */
    public void record(long nanos) {
        counts.incrementAndGet(bucket(Math.max(0, nanos)));
    }

    /** How many latencies were recorded. */
    public long count() {
        long n = 0;
        for (int i = 0; i < BUCKETS; i++) {
            n += counts.get(i);
        }
        return n;
    }

    /**
     * The latency at quantile {@code q} (0.5 for the median) in nanoseconds, or NaN when none
     * was recorded. The value reported is the middle of its bucket.
     */
    public double quantileNanos(double q) {
        long total = count();
        if (total == 0) {
            return Double.NaN;
        }
        long rank = Math.max(1, (long) Math.ceil(q * total));
        long seen = 0;
        for (int i = 0; i < BUCKETS; i++) {
            seen += counts.get(i);
            if (seen >= rank) {
                return i + 1 < BUCKETS ? (lowerBound(i) + lowerBound(i + 1)) / 2.0 : lowerBound(i);
            }
        }
        return lowerBound(BUCKETS - 1);
    }

    // Values below SUB map to themselves; above, the top bit picks the power of two and the
    // next SUB_BITS bits the bucket within it.
    static int bucket(long v) {
        if (v < SUB) {
            return (int) v;
        }
        int top = 63 - Long.numberOfLeadingZeros(v);
        int shift = top - SUB_BITS;
        return (shift + 1) * SUB + (int) ((v >>> shift) & (SUB - 1));
    }

    static long lowerBound(int bucket) {
        if (bucket < SUB) {
            return bucket;
        }
        int shift = bucket / SUB - 1;
        long sub = bucket % SUB;
        return (SUB + sub) << shift;
    }
}
