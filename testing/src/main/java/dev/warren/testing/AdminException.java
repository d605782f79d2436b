package dev.warren.testing;

/** A fault-injection command ({@code rabbitmqctl}) failed; the message carries its output. */
public final class AdminException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    AdminException(String message) {
        super(message);
    }

    AdminException(String message, Throwable cause) {
        super(message, cause);
    }
}
