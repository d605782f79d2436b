package dev.warren.demo;

/**
 * One side of a throughput scenario (the raw client or Warren): given the scenario's setup it
 * prepares a {@link Trial}, whose {@link Trial#run run} alone is measured.
 *
 * <p>The setup type says which scenario it is: {@link PublishSetup}, {@link ConsumeSetup} or
 * {@link RpcSetup}. A fresh trial is prepared for every warm-up and every measured run and
 * closed after it, so a contender keeps no state between runs. The harness owns the broker
 * side (queues, prefilled messages, the RPC server); the contender owns the connections it opens.
 *
 * <p>Warren's side of a scenario is a class named {@code Warren*.java} implementing this
 * interface, registered next to the raw one in {@link Contenders}.
 *
 * @param <S> the scenario's setup
 */
@FunctionalInterface
public interface Contender<S> {

    /**
     * Opens what a run needs (connection, channel, consumer, threads waiting to start):
     * nothing done here is measured.
     *
     * @param setup what to do, where
     * @return the prepared run; the harness closes it after {@link Trial#run}
     */
    Trial prepare(S setup) throws Exception;
}
