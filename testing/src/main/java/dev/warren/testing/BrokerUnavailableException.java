package dev.warren.testing;

/**
 * No RabbitMQ could be found or started. The message says what was tried and what to install
 * or set so that the next run finds one.
 */
public final class BrokerUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    BrokerUnavailableException(String message) {
        super(message);
    }
}
