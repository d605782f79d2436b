package dev.warren;

import java.util.function.Supplier;

/**
 * A task forked on a {@link BlockingChannel} with {@link BlockingChannel#fork}. It runs in its
 * own virtual thread, owned by the channel: the channel's {@code close()} cancels it (by
 * interrupt) and waits for it, and so does the channel's closing by the broker.
 *
 * <p>Its result or exception is meant to be read after {@link BlockingChannel#join()}.
 *
 * @param <T> the result type
 */
public interface Subtask<T> extends Supplier<T> {

    /** What is known about a subtask's outcome. */
    enum State {
        /** Still running, or cancelled before it finished: no result is available. */
        UNAVAILABLE,
        /** It returned a result. */
        SUCCESS,
        /** It threw an exception. */
        FAILED
    }

    /**
     * The current state; never blocks.
     *
     * @return the current state
     */
    State state();

    /**
     * The result.
     *
     * @throws IllegalStateException unless the state is {@link State#SUCCESS}
     */
    @Override
    T get();

    /**
     * The exception it threw.
     *
     * @return the exception it threw
     * @throws IllegalStateException unless the state is {@link State#FAILED}
     */
    Throwable exception();
}
