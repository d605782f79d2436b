package dev.warren.demo;

/**
 * What a request/reply run does: keep {@code callers} calls in flight to the server that
 * consumes {@code requestQueue} (through the default exchange), using direct reply-to
 * ({@code amq.rabbitmq.reply-to}) and a correlation id per call, until the window expires.
 * The server, run by the harness on its own connection, echoes the body with the correlation id.
 *
 * @param uri the broker's AMQP URI
 * @param requestQueue the queue the server consumes
 * @param body the request body
 * @param callers how many calls are in flight at once
 */
public record RpcSetup(String uri, String requestQueue, byte[] body, int callers) {
}
