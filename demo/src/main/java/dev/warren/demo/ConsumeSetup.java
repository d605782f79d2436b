package dev.warren.demo;

/**
 * What a consume run does: take {@code messages} deliveries from {@code queue}, which the
 * harness has filled with exactly that many, acking each one on its own, with at most
 * {@code prefetch} unacked, then cancel the consumer.
 *
 * @param uri the broker's AMQP URI
 * @param queue the prefilled queue
 * @param prefetch the basic.qos prefetch count
 * @param messages how many to take and ack; the run returns when all are acked
 */
public record ConsumeSetup(String uri, String queue, int prefetch, long messages) {
}
