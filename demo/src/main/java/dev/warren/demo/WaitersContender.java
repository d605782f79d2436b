package dev.warren.demo;

/**
 * Warren's side of the waiters scenario, which has no raw counterpart: the raw client has no
 * blocking waiters to park.
 *
 * <p>The harness measures the settled heap before {@link #park} and after it returns, divides
 * by the number of waiters, then times {@link ParkedWaiters#provokeClose()} up to the return of
 * {@link ParkedWaiters#awaitAllWoken}. {@link Parking#awaitParked} helps tell when all are parked.
 */
@FunctionalInterface
public interface WaitersContender {

    /**
     * Opens a connection and channel(s), starts {@link WaitersSetup#waiters()} virtual threads
     * each blocked in the call under test, and returns once every one of them is parked in it.
     */
    ParkedWaiters park(WaitersSetup setup) throws Exception;
}
