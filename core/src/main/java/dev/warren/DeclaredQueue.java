package dev.warren;

/**
 * What the broker answered to a queue declaration.
 *
 * @param name the queue's name (the broker's choice for a server-named queue)
 * @param messageCount the messages ready in it at the time
 * @param consumerCount its consumers at the time
 */
public record DeclaredQueue(String name, int messageCount, int consumerCount) {}
