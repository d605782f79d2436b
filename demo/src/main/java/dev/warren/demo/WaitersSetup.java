package dev.warren.demo;

/**
 * What a waiters run parks: {@code waiters} virtual threads, each blocked in one Warren call
 * that cannot complete until the channel closes.
 *
 * @param uri the broker's AMQP URI
 * @param queue a queue the harness declared and nobody publishes to or consumes: subscribe to
 *              it for {@code take()}, or send requests to it for {@code call()} (no server answers)
 * @param waiters how many virtual threads to park
 */
public record WaitersSetup(String uri, String queue, int waiters) {

    /** How long parking or waking {@code waiters} threads may take before the run fails: 2 minutes per 100,000. */
    static java.time.Duration patience(int waiters) {
        return java.time.Duration.ofMinutes(2).multipliedBy(Math.max(1, (waiters + 99_999) / 100_000));
    }

    /** How long parking or waking this setup's waiters may take. */
    java.time.Duration patience() {
        return patience(waiters);
    }
}
