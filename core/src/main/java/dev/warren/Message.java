package dev.warren;

import com.rabbitmq.client.AMQP;
import dev.warren.internal.PropertyValues;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A message to publish: a body, AMQP properties and the {@code mandatory} flag. Immutable; each
 * {@code with...} method returns a copy, so a message can be shared between threads and
 * published many times.
 *
 * <pre>{@code
 * Message m = Message.text("{\"id\":42}")
 *         .withContentType("application/json")
 *         .withPersistent(true)
 *         .withHeader("tenant", "acme")
 *         .withMandatory(true);
 * }</pre>
 *
 * The body array is not copied: do not change it after handing it over.
 */
public final class Message {
    private static final AMQP.BasicProperties EMPTY = new AMQP.BasicProperties();

    private final byte[] body;
    private final AMQP.BasicProperties properties;
    private final boolean mandatory;

    private Message(byte[] body, AMQP.BasicProperties properties, boolean mandatory) {
        this.body = body;
        this.properties = properties;
        this.mandatory = mandatory;
    }

    /**
     * A message with this body and no properties.
     *
     * @param body the body
     * @return a message with this body and no properties
     * @throws NullPointerException if body is null
     */
    public static Message of(byte[] body) {
        return new Message(Objects.requireNonNull(body, "body"), EMPTY, false);
    }

    /**
     * A message whose body is {@code text} in UTF-8, with content type {@code text/plain} and
     * content encoding {@code utf-8}.
     *
     * @param text the text
     * @return a message whose body is {@code text} in UTF-8, with content type {@code text/plain} and content
     *         encoding {@code utf-8}
     * @throws NullPointerException if text is null
     */
    public static Message text(String text) {
        Objects.requireNonNull(text, "text");
        return new Message(text.getBytes(StandardCharsets.UTF_8),
                new AMQP.BasicProperties.Builder().contentType("text/plain").contentEncoding("utf-8").build(), false);
    }

    /**
     * A message with these raw amqp-client properties (null means none).
     *
     * @param body the body
     * @param properties the properties
     * @return a message with these raw amqp-client properties (null means none)
     */
    public static Message of(byte[] body, AMQP.BasicProperties properties) {
        return new Message(Objects.requireNonNull(body, "body"), properties == null ? EMPTY : properties, false);
    }

    /**
     * The body; not a copy.
     *
     * @return the body
     */
    public byte[] body() {
        return body;
    }

    /**
     * The AMQP properties.
     *
     * @return the AMQP properties
     */
    public AMQP.BasicProperties properties() {
        return properties;
    }

    /**
     * Whether the broker must return the message when no queue takes it; then
     * {@code publish} throws {@link UnroutableException}.
     *
     * @return whether the broker must return the message when no queue takes it
     */
    public boolean mandatory() {
        return mandatory;
    }

    /**
     * With the mandatory flag set or cleared.
     *
     * @param mandatory whether it must be routed to a queue
     * @return a copy with this setting
     */
    public Message withMandatory(boolean mandatory) {
        return new Message(body, properties, mandatory);
    }

    /**
     * With another body.
     *
     * @param body the body
     * @return a copy with this setting
     */
    public Message withBody(byte[] body) {
        return new Message(Objects.requireNonNull(body, "body"), properties, mandatory);
    }

    /**
     * With a MIME content type, e.g. {@code application/json}.
     *
     * @param contentType the content type
     * @return a copy with this setting
     */
    public Message withContentType(String contentType) {
        return with(builder().contentType(contentType));
    }

    /**
     * With a content encoding, e.g. {@code gzip} or {@code utf-8}.
     *
     * @param contentEncoding the content encoding
     * @return a copy with this setting
     */
    public Message withContentEncoding(String contentEncoding) {
        return with(builder().contentEncoding(contentEncoding));
    }

    /**
     * With this header added (or replaced). Values: String, numbers, Boolean, byte[], Date, List, Map.
     *
     * @param name the name
     * @param value its value
     * @return a copy with this header
     */
    public Message withHeader(String name, Object value) {
        Objects.requireNonNull(name, "name");
        Map<String, Object> h = new LinkedHashMap<>();
        if (properties.getHeaders() != null) {
            h.putAll(properties.getHeaders());
        }
        h.put(name, value);
        return with(builder().headers(Collections.unmodifiableMap(h)));
    }

    /**
     * With exactly these headers (null for none).
     *
     * @param headers the headers
     * @return a copy with these headers
     */
    public Message withHeaders(Map<String, Object> headers) {
        return with(builder().headers(headers == null ? null : Collections.unmodifiableMap(new LinkedHashMap<>(headers))));
    }

    /**
     * Persistent (delivery mode 2: written to disk by durable queues) or transient (1).
     *
     * @param persistent whether it is persistent
     * @return a copy with this setting
     */
    public Message withPersistent(boolean persistent) {
        return with(builder().deliveryMode(persistent ? 2 : 1));
    }

    /**
     * With an application message id.
     *
     * @param messageId the message id
     * @return a copy with this setting
     */
    public Message withMessageId(String messageId) {
        return with(builder().messageId(messageId));
    }

    /**
     * With a correlation id (request/reply).
     *
     * @param correlationId the correlation id
     * @return a copy with this setting
     */
    public Message withCorrelationId(String correlationId) {
        return with(builder().correlationId(correlationId));
    }

    /**
     * With a reply-to address (request/reply).
     *
     * @param replyTo the reply-to address
     * @return a copy with this setting
     */
    public Message withReplyTo(String replyTo) {
        return with(builder().replyTo(replyTo));
    }

    /**
     * With a per-message TTL: the broker drops (or dead-letters) it when it waited this long.
     *
     * @param ttl the time to live
     * @return a copy with this setting
     * @throws IllegalArgumentException if negative
     */
    public Message withExpiration(Duration ttl) {
        Objects.requireNonNull(ttl, "ttl");
        if (ttl.isNegative()) {
            throw new IllegalArgumentException("expiration must not be negative");
        }
        return with(builder().expiration(Long.toString(ttl.toMillis())));
    }

    /**
     * With a priority, 0..255 (priority queues use 0..their x-max-priority).
     *
     * @param priority the priority
     * @return a copy with this setting
     * @throws IllegalArgumentException if out of range
     */
    public Message withPriority(int priority) {
        if (priority < 0 || priority > 255) {
            throw new IllegalArgumentException("priority must be 0..255, not " + priority);
        }
        return with(builder().priority(priority));
    }

    /**
     * With a timestamp (AMQP keeps whole seconds).
     *
     * @param timestamp the timestamp
     * @return a copy with this setting
     */
    public Message withTimestamp(Instant timestamp) {
        return with(builder().timestamp(timestamp == null ? null : Date.from(timestamp)));
    }

    /**
     * With an application message type name.
     *
     * @param type the type name
     * @return a copy with this setting
     */
    public Message withType(String type) {
        return with(builder().type(type));
    }

    /**
     * With a user id; RabbitMQ checks that it is the connection's user.
     *
     * @param userId the user id
     * @return a copy with this setting
     */
    public Message withUserId(String userId) {
        return with(builder().userId(userId));
    }

    /**
     * With the publishing application's id.
     *
     * @param appId the application's id
     * @return a copy with this setting
     */
    public Message withAppId(String appId) {
        return with(builder().appId(appId));
    }

    /**
     * The content type.
     *
     * @return the content type, or null
     */
    public String contentType() {
        return properties.getContentType();
    }

    /**
     * The content encoding.
     *
     * @return the content encoding, or null
     */
    public String contentEncoding() {
        return properties.getContentEncoding();
    }

    /**
     * The headers.
     *
     * @return the headers, or an empty map; unmodifiable
     */
    public Map<String, Object> headers() {
        Map<String, Object> h = properties.getHeaders();
        return h == null ? Map.of() : Collections.unmodifiableMap(h);
    }

    /**
     * One header.
     *
     * @param name the header's name
     * @return its value; empty when there is no such header (or its value is null)
     * @throws NullPointerException if name is null
     */
    public Optional<Object> header(String name) {
        Objects.requireNonNull(name, "name");
        return Optional.ofNullable(headers().get(name));
    }

    /**
     * Whether it is persistent (delivery mode 2).
     *
     * @return true for delivery mode 2
     */
    public boolean persistent() {
        return PropertyValues.persistent(properties);
    }

    /**
     * The application message id.
     *
     * @return the message id, or null
     */
    public String messageId() {
        return properties.getMessageId();
    }

    /**
     * The correlation id.
     *
     * @return the correlation id, or null
     */
    public String correlationId() {
        return properties.getCorrelationId();
    }

    /**
     * The reply-to address.
     *
     * @return the reply-to address, or null
     */
    public String replyTo() {
        return properties.getReplyTo();
    }

    /**
     * The per-message TTL.
     *
     * @return the TTL, or null
     * @throws IllegalStateException if raw properties set an expiration that is not a number of
     *         milliseconds
     */
    public Duration expiration() {
        return PropertyValues.expiration(properties);
    }

    /**
     * The priority.
     *
     * @return the priority, or null
     */
    public Integer priority() {
        return properties.getPriority();
    }

    /**
     * The timestamp.
     *
     * @return the timestamp, or null
     */
    public Instant timestamp() {
        return PropertyValues.timestamp(properties);
    }

    /**
     * The application message type name.
     *
     * @return the type, or null
     */
    public String type() {
        return properties.getType();
    }

    /**
     * The user id.
     *
     * @return the user id, or null
     */
    public String userId() {
        return properties.getUserId();
    }

    /**
     * The publishing application's id.
     *
     * @return the app id, or null
     */
    public String appId() {
        return properties.getAppId();
    }

    @Override
    public String toString() {
        return "Message[" + body.length + " bytes" + (mandatory ? ", mandatory" : "") + ", " + properties + "]";
    }

    private AMQP.BasicProperties.Builder builder() {
        return properties.builder();
    }

    private Message with(AMQP.BasicProperties.Builder b) {
        return new Message(body, b.build(), mandatory);
    }
}
