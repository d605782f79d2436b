package dev.warren;

import java.time.Duration;

/**
 * The broker's confirm of a message published with
 * {@link BlockingChannel#publishDeferred(String, String, Message)}, still to come: what a
 * blocking {@code publish} waits for, handed to the caller so that one thread can have many
 * messages in flight and collect their confirms later, in any order.
 *
 * <p>Awaiting it throws what {@link BlockingChannel#publish(String, String, Message)} throws
 * for the same outcome. Once it has an outcome, every later {@code await} returns or throws the
 * same at once. It is awaited by one thread at a time; a second thread that awaits it while
 * another waits gets an {@link IllegalStateException}. Warren implements this interface;
 * applications only use it.
 *
 * <p><b>On close.</b> When the channel or its connection closes before the confirm, {@code await}
 * throws the {@link ClosedException}: the message's outcome is then unknown.
 *
 * <p><b>On interrupt.</b> An interrupted {@code await} stops waiting and throws
 * {@link InterruptedException} (the {@link ClosedException} if the channel closed meanwhile);
 * unlike an interrupted {@code publish}, it does not take the message back: it stays in flight,
 * and the confirm can be awaited again.
 *
 * <p><b>Timeout.</b> With a {@link ConnectionOptions#publishTimeout() publish timeout} on the
 * connection, a message whose confirm has not come within that time since
 * {@code publishDeferred} ends as {@link PublishTimeoutException} when it is awaited; without
 * one, {@link #await(Duration)} bounds a wait.
 */
public interface DeferredConfirm {

    /**
     * Waits for the broker's confirm of the message.
     *
     * @throws PublishNackedException when the broker nacked it (it was not enqueued)
     * @throws UnroutableException when it was mandatory and no queue took it (312 NO_ROUTE)
     * @throws PublishTimeoutException when the connection's publish timeout passed first
     * @throws ClosedException when the channel or connection closed before the confirm: the
     *         outcome is unknown; with 404 NOT_FOUND and failed method {@code basic.publish}
     *         when the exchange does not exist
     * @throws IllegalStateException when another thread awaits this confirm right now
     * @throws InterruptedException when interrupted while the channel is open; the message stays
     *         in flight and this confirm can be awaited again
     */
    void await() throws InterruptedException;

    /**
     * Waits for the broker's confirm of the message, at most {@code timeout}.
     *
     * @param timeout how long to wait at most; zero or negative only looks
     * @return true when the broker confirmed it; false when {@code timeout} passed first (the
     *         message stays in flight and this confirm can be awaited again)
     * @throws NullPointerException if timeout is null
     * @throws PublishNackedException when the broker nacked it (it was not enqueued)
     * @throws UnroutableException when it was mandatory and no queue took it (312 NO_ROUTE)
     * @throws PublishTimeoutException when the connection's publish timeout passed first
     * @throws ClosedException when the channel or connection closed before the confirm: the
     *         outcome is unknown
     * @throws IllegalStateException when another thread awaits this confirm right now
     * @throws InterruptedException when interrupted while the channel is open; the message stays
     *         in flight
     */
    boolean await(Duration timeout) throws InterruptedException;

    /**
     * Whether the message has its outcome (a confirm, a nack, a return, the publish timeout or
     * the channel's close), so that {@link #await()} would not wait. Never blocks.
     *
     * @return whether the outcome is known
     */
    boolean isDone();
}
