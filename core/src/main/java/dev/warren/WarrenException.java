package dev.warren;

/**
 * The root of every exception Warren throws for a broker or network outcome. Unchecked; the
 * hierarchy is sealed so that a {@code switch} over it is exhaustive.
 *
 * <p>Misuse of the API is reported with the JDK's own types instead:
 * {@link IllegalArgumentException}, {@link IllegalStateException},
 * {@link NullPointerException} and {@link WrongThreadException}. No message of a Warren
 * exception ever contains a password.
 */
public abstract sealed class WarrenException extends RuntimeException
        permits ClosedException, ConnectFailedException, PublishNackedException, UnroutableException,
                ConsumerCancelledException, SubtaskFailedException, RpcTimeoutException,
                PublishTimeoutException {
    private static final long serialVersionUID = 1L;

    WarrenException(String message, Throwable cause) {
        super(message, cause);
    }
}
