package dev.warren;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * The outcome of {@link BlockingChannel#publishAll}: which messages of the batch failed, by
 * their index in the list, and why ({@link PublishNackedException}, {@link UnroutableException},
 * {@link PublishTimeoutException}, or a {@link ClosedException} when the channel closed before
 * their confirm, in which case their outcome is unknown).
 *
 * @param size how many messages the batch had
 * @param failures the failed messages' indexes and exceptions, in index order
 */
public record PublishBatch(int size, Map<Integer, WarrenException> failures) {
    /** Copies the map, sorted by index. */
    public PublishBatch {
        failures = Collections.unmodifiableMap(new TreeMap<>(failures));
    }

    /**
     * Whether the broker confirmed every message of the batch.
     *
     * @return whether the broker confirmed every message of the batch
     */
    public boolean allConfirmed() {
        return failures.isEmpty();
    }

    /**
     * How many messages the broker confirmed.
     *
     * @return how many messages the broker confirmed
     */
    public int confirmed() {
        return size - failures.size();
    }
}
