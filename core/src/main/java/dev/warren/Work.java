package dev.warren;

/**
 * What a {@link RobustConnection#supervise(Work) supervised} piece of work does with one
 * connection: typically open a channel, declare its topology, and consume or serve until the
 * connection goes. It is run again from its start on every new connection, so it should declare
 * what it needs itself (queues, exchanges, bindings, qos) rather than rely on what an earlier
 * run declared.
 */
@FunctionalInterface
public interface Work {
    /**
     * Runs on a connection until done.
     *
     * @param connection the current connection; do not close it (it is shared)
     * @throws ClosedException when the connection is lost or the broker closes a channel:
     *         the supervisor then runs the work again on the next connection
     * @throws InterruptedException when the {@link Supervised} or its connection is closed
     * @throws Exception any other failure ends the supervised work (see {@link Supervised#join()})
     */
    void run(BlockingConnection connection) throws Exception;
}
