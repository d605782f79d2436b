package dev.warren.internal;

import dev.warren.Delivery;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.helpers.NOPLoggerFactory;

/**
 * Says that {@code handle()} dropped a delivery: to the application's listener if it gave one,
 * else as a warning that reaches someone even when SLF4J has no provider (it would print its own
 * one-line notice at start-up, then discard every message).
 */
final class DropReport {
    private static final Logger LOG = LoggerFactory.getLogger(SubscriptionImpl.class);

    private DropReport() {}

    static void dropped(BiConsumer<Delivery, Throwable> listener, String queue, Delivery d, boolean autoAck,
            Throwable failure) {
        if (listener != null) {
            listener.accept(d, failure);
            return;
        }
        String what = autoAck ? "auto-ack: the message is lost"
                : "nacked without requeue: dropped, or dead-lettered if the queue has a dead-letter exchange";
        if (LoggerFactory.getILoggerFactory() instanceof NOPLoggerFactory) {
            System.getLogger(SubscriptionImpl.class.getName()).log(System.Logger.Level.WARNING,
                    "handler for queue '" + queue + "' failed on " + d + "; " + what, failure);
        } else {
            LOG.warn("handler for queue '{}' failed on {}; {}", queue, d, what, failure);
        }
    }
}
