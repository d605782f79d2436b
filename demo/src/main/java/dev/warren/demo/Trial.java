package dev.warren.demo;

/**
 * A prepared run of a {@link Contender}: {@link #run} is what the harness times and whose
 * process CPU it charges to the contender; {@link #close} releases everything
 * {@link Contender#prepare} opened.
 *
 * <p>{@code prepare}, {@code run} and {@code close} are all called on the harness's one
 * platform thread, so what {@code prepare} opens is owned by the thread that calls
 * {@code run} (Warren's owner-only {@code join()} and {@code close()} work there).
 */
public interface Trial extends AutoCloseable {

    /**
     * Does the scenario's work and returns how many operations completed: publishes the broker
     * confirmed, deliveries acked, or calls answered.
     *
     * <p>Time-bound scenarios (publish, rpc) start no new operation once {@link Window#expired()}
     * and return when those in flight have completed. Count-bound ones (consume) return when
     * their count is done. A publish or RPC contender records every operation's latency in
     * {@link Window#latencies()}: a call from request to reply, a publish from just before it
     * is sent to its confirm (for Warren, the whole {@code publish} call, which returns confirmed).
     *
     * @param window the run's deadline and latency recorder
     */
    long run(Window window) throws Exception;

    /** Closes what {@link Contender#prepare} opened; not measured. */
    @Override
    void close() throws Exception;
}
