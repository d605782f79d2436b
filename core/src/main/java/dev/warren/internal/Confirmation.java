package dev.warren.internal;

/**
 * One published message waiting for its confirm; its outcome is {@link #ACKED} or the failure
 * (a Warren exception, or the close).
 */
final class Confirmation extends OneShot {
    /** The outcome of an ack. */
    static final Object ACKED = new Object();

    final String exchange;
    final String routingKey;
    final com.rabbitmq.client.AMQP.BasicProperties properties;
    final byte[] body;
    final boolean mandatory;
    /** Told of a failure (anything but an ack) as it is set, or null; see {@link FailureListener}. */
    final FailureListener onFailure;
    /** Its sequence number, set when it is written (under the write lock). */
    long seq;
    /** Set by a basic.return before the ack; read after the ack, on the same thread. */
    int returnCode;
    String returnText;

    Confirmation(String exchange, String routingKey, com.rabbitmq.client.AMQP.BasicProperties properties,
            byte[] body, boolean mandatory, long deadline, FailureListener onFailure) {
        super(deadline);
        this.exchange = exchange;
        this.routingKey = routingKey;
        this.properties = properties;
        this.body = body;
        this.mandatory = mandatory;
        this.onFailure = onFailure;
    }

    /**
     * Learns of a message's failure (nack, return, the channel's close) as soon as it is known,
     * for a caller that waits on something else (a request/reply call waits for the reply, not
     * the confirm). Called once, on the completing thread (often amqp-client's reader): must
     * not block. An ack calls nothing, so the success path costs no allocation.
     */
    interface FailureListener {
        void failed(Object failure);

        /**
         * Whether the listener matches a returned mandatory message itself (by its own
         * properties); then the Publisher adds no sequence-number header, which saves copying
         * the headers of every message. A return is then not reported as a failure here.
         */
        default boolean matchesReturns() {
            return false;
        }
    }

    @Override
    void completed(Object result) {
        if (result != ACKED && result != TIMED_OUT && onFailure != null) {
            onFailure.failed(result);
        }
    }
}
