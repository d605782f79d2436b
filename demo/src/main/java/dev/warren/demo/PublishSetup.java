package dev.warren.demo;

/**
 * What a publish run does: publish {@code body} to {@code exchange} with {@code routingKey},
 * transient, not mandatory, each message confirmed by the broker, until the window expires.
 *
 * @param uri the broker's AMQP URI
 * @param exchange where to publish ({@code ""} for the default exchange)
 * @param routingKey the routing key
 * @param body the message body
 * @param threads how many threads publish at once (Warren's rows; the raw baseline always
 *                pipelines from one thread)
 */
public record PublishSetup(String uri, String exchange, String routingKey, byte[] body, int threads) {
}
