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
}
