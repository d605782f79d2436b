package dev.warren;

/**
 * Processes one delivery for {@link Subscription#handle(int, DeliveryHandler)}. It runs in its
 * own virtual thread, a subtask of the channel: the channel's close cancels it by interrupt.
 *
 * <p>A normal return acks the delivery (unless the handler settled it itself); an exception
 * nacks it, with the requeue policy given to {@code handle}. A delivery that is nacked without
 * requeue is dropped, or dead-lettered if its queue has a
 * {@linkplain QueueSpec#withDeadLetterExchange(String) dead-letter exchange} (the way to keep
 * it), and reported to {@link ConsumeOptions#withOnDropped(java.util.function.BiConsumer)}'s
 * listener, or logged as a warning without one.
 */
@FunctionalInterface
public interface DeliveryHandler {

    /**
     * Processes the delivery.
     *
     * @param delivery the delivery
     * @throws Exception to have the delivery nacked; an {@link InterruptedException} (the
     *         handler was cancelled) always nacks with requeue, since the message was not at fault
     */
    void handle(Delivery delivery) throws Exception;
}
