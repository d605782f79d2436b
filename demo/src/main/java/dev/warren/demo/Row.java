package dev.warren.demo;

import java.util.List;

/**
 * One row of the results: a scenario at one setting (e.g. {@code rpc/callers=100}), runnable
 * for each side that has a contender.
 *
 * @param <M> what one run measures
 */
interface Row<M extends Measurement> {

    /** Which table a row belongs to. */
    enum Kind {
        /** Operations per second, CPU per operation, latency. */
        THROUGHPUT,
        /** Heap per parked waiter and time to wake them all. */
        WAITERS
    }

    /** Which table this row belongs to. */
    Kind kind();

    /** The row's key, e.g. {@code publish-queue/threads=1000}. */
    String key();

    /** Whether {@code side} has a contender for this row. */
    boolean has(Side side);

    /** One measured run of {@code side}, after its warm-up if the row has one. */
    M runOnce(Side side) throws Exception;

    /** The median of the runs of one side. */
    Summary summarize(List<M> runs);
}
