package dev.warren;

/**
 * A task that returns nothing and may throw: {@link java.util.concurrent.Callable}'s
 * counterpart for {@link BlockingChannel#fork(ThrowingRunnable)}, so that a task that only
 * publishes or settles needs no {@code return null;}.
 *
 * <pre>{@code
 * ch.fork(() -> { ch.publish("", "orders", body); });   // this interface: returns nothing
 * ch.fork(() -> ch.queueDeclarePassive("orders"));     // a Callable: it has a result
 * }</pre>
 *
 * A lambda that yields a value is a {@code Callable} and one that does not is a
 * {@code ThrowingRunnable}, as with {@link java.util.concurrent.ExecutorService#submit}'s two
 * overloads.
 */
@FunctionalInterface
public interface ThrowingRunnable {

    /**
     * Runs the task.
     *
     * @throws Exception if it fails; forked on a channel, that fails its subtask
     */
    void run() throws Exception;
}
