package dev.warren;

/**
 * A subtask forked on a channel failed; thrown by {@link BlockingChannel#join()}. The cause is
 * the first failure; failures of other subtasks that happened before they were cancelled are
 * attached as suppressed exceptions. Also thrown by {@link Supervised#join()} when a supervised
 * {@link Work} ended with an exception that does not restart it (a bug of its own): that
 * exception is the cause.
 */
public final class SubtaskFailedException extends WarrenException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception; Warren throws it, and applications may create one (in tests, say).
     *
     * @param cause the first subtask's failure
     */
    public SubtaskFailedException(Throwable cause) {
        super("a subtask failed: " + cause, cause);
    }
}
