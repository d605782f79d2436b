package dev.warren.opentelemetry;

import com.rabbitmq.client.AMQP;
import dev.warren.ConnectionStats;
import dev.warren.Delivery;
import dev.warren.WarrenObserver;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * OpenTelemetry traces for Warren, after OpenTelemetry's messaging semantic conventions and their
 * RabbitMQ page (schema {@value #SCHEMA_URL}): a {@link WarrenObserver} to pass to
 * {@code ConnectionOptions.withObserver}.
 *
 * <ul>
 * <li>{@code publish}: a {@link SpanKind#PRODUCER} span named {@code publish <destination>}, from
 *     the call to the broker's confirm (or the failure), child of the caller's current context;
 *     its context goes into the message's headers with the configured propagator (W3C
 *     {@code traceparent} by default) and is the message's <em>creation context</em>.
 * <li>{@code call}: a {@link SpanKind#PRODUCER} span named {@code call <destination>} (its context
 *     is injected into the request as its creation context, so it is a producer, not a client
 *     span), from the call to the reply.
 * <li>each {@code handle()} handler run and each {@code serve()} request: a
 *     {@link SpanKind#CONSUMER} span named {@code process <queue>}, current while the handler
 *     runs (the handler's own spans and the reply {@code serve()} publishes are its children).
 *     It <em>links</em> to the creation context the message carries and starts a trace of its
 *     own: a {@code traceparent} header is whatever the publisher wrote, and taken as parent it
 *     would let any outside publisher pick the trace id and force sampling. With
 *     {@link #withParentFromMessage(boolean) withParentFromMessage(true)} (only for publishers
 *     you trust) it is also the span's parent.
 * <li>each {@code take()}, {@code poll()} or iteration step that returns a delivery: a
 *     {@link SpanKind#CONSUMER} span named {@code receive <queue>} over the wait, linked the same way.
 * </ul>
 *
 * <p>Destinations as the RabbitMQ conventions write them: {@code messaging.destination.name} is
 * {@code <exchange>:<routing key>} for a producer ({@code <exchange>} when the key is empty),
 * {@code <exchange>:<routing key>:<queue>} for a consumer ({@code <exchange>:<queue>} when key and
 * queue are the same), the default exchange written {@code amq.default}. A server-named queue
 * ({@code amq.gen-...}) and direct reply-to ({@code amq.rabbitmq.reply-to...}) are flagged with
 * {@code messaging.destination.anonymous} and {@code messaging.destination.temporary} and appear
 * in span names as {@code (anonymous)}, so span names stay few.
 *
 * <p>Other attributes: {@code messaging.system} ({@code rabbitmq}), {@code messaging.operation.type}
 * ({@code send}, {@code receive} or {@code process}), {@code messaging.operation.name}, {@code
 * messaging.rabbitmq.destination.routing_key}, {@code messaging.destination.subscription.name}
 * (the consumer's queue), {@code messaging.message.id}, {@code messaging.message.conversation_id}
 * (the correlation id), {@code messaging.rabbitmq.message.delivery_tag}, and
 * {@code messaging.message.body.size} only with {@link #withBodySize(boolean)}, and from the
 * span's start {@code server.address} and {@code server.port} of the broker the connection
 * reached. Any outcome but
 * a confirm or reply (a nack, a return, a timeout, the close) sets the span's status to error,
 * {@code error.type} (the exception's class, or the outcome, e.g. {@code timeout}) and
 * {@code warren.outcome}. The tracer carries Warren's version and the schema URL.
 *
 * <p>Its hooks run on Warren's threads and never block. Immutable.
 */
public final class WarrenTracing implements WarrenObserver {
    /** The instrumentation scope's name. */
    public static final String INSTRUMENTATION_NAME = "dev.warren";
    /** The semantic conventions the spans follow. */
    public static final String SCHEMA_URL = "https://opentelemetry.io/schemas/1.37.0";
    /** warren-opentelemetry's version, the instrumentation scope's version. */
    static final String VERSION = Version.read();

    static final AttributeKey<String> SYSTEM = AttributeKey.stringKey("messaging.system");
    static final AttributeKey<String> OPERATION_TYPE = AttributeKey.stringKey("messaging.operation.type");
    static final AttributeKey<String> OPERATION_NAME = AttributeKey.stringKey("messaging.operation.name");
    static final AttributeKey<String> DESTINATION = AttributeKey.stringKey("messaging.destination.name");
    static final AttributeKey<String> ROUTING_KEY = AttributeKey.stringKey("messaging.rabbitmq.destination.routing_key");
    static final AttributeKey<String> SUBSCRIPTION = AttributeKey.stringKey("messaging.destination.subscription.name");
    static final AttributeKey<String> MESSAGE_ID = AttributeKey.stringKey("messaging.message.id");
    static final AttributeKey<String> CONVERSATION_ID = AttributeKey.stringKey("messaging.message.conversation_id");
    static final AttributeKey<Long> BODY_SIZE = AttributeKey.longKey("messaging.message.body.size");
    static final AttributeKey<Long> DELIVERY_TAG = AttributeKey.longKey("messaging.rabbitmq.message.delivery_tag");
    static final AttributeKey<String> SERVER_ADDRESS = AttributeKey.stringKey("server.address");
    static final AttributeKey<Long> SERVER_PORT = AttributeKey.longKey("server.port");
    static final AttributeKey<Boolean> ANONYMOUS = AttributeKey.booleanKey("messaging.destination.anonymous");
    static final AttributeKey<Boolean> TEMPORARY = AttributeKey.booleanKey("messaging.destination.temporary");
    static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");
    static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("warren.outcome");

    private static final TextMapSetter<Map<String, Object>> SETTER = (headers, key, value) -> {
        if (headers != null) {
            headers.put(key, value);
        }
    };

    private static final TextMapGetter<Map<String, Object>> GETTER = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Map<String, Object> headers) {
            return headers.keySet();
        }

        @Override
        public String get(Map<String, Object> headers, String key) {
            Object v = headers == null ? null : headers.get(key);
            return v == null ? null : v.toString();
        }
    };

    private final Tracer tracer;
    private final TextMapPropagator propagator;
    private final boolean parentFromMessage;
    private final boolean bodySize;
    /** The broker of the connection this copy observes ({@link #forConnection}), or null and -1. */
    private final String serverAddress;
    private final int serverPort;

    /**
     * Traces with {@code openTelemetry}'s tracer provider and text-map propagator; process and
     * receive spans link to the message's context without taking it as parent; no body sizes.
     *
     * @param openTelemetry the OpenTelemetry instance (e.g. {@code GlobalOpenTelemetry.get()})
     * @throws NullPointerException if {@code openTelemetry} is null
     */
    public WarrenTracing(OpenTelemetry openTelemetry) {
        this(Objects.requireNonNull(openTelemetry, "openTelemetry").getTracerProvider()
                .tracerBuilder(INSTRUMENTATION_NAME).setInstrumentationVersion(VERSION).setSchemaUrl(SCHEMA_URL)
                .build(), openTelemetry.getPropagators().getTextMapPropagator(), false, false, null, -1);
    }

    private WarrenTracing(Tracer tracer, TextMapPropagator propagator, boolean parentFromMessage, boolean bodySize,
            String serverAddress, int serverPort) {
        this.tracer = tracer;
        this.propagator = propagator;
        this.parentFromMessage = parentFromMessage;
        this.bodySize = bodySize;
        this.serverAddress = serverAddress;
        this.serverPort = serverPort;
    }

    /**
     * A copy for one connection, whose spans carry {@code server.address} and {@code server.port}
     * from the start.
     *
     * @param connection the connection's gauges and broker address
     * @return a copy for this connection
     */
    @Override
    public WarrenObserver forConnection(ConnectionStats connection) {
        return new WarrenTracing(tracer, propagator, parentFromMessage, bodySize, connection.serverAddress(),
                connection.serverPort());
    }

    /**
     * Whether a process or receive span takes the context the message carries as its parent
     * (true), besides linking to it, or starts a trace of its own (false, the default). Turn it
     * on only when every publisher to the traced queues is trusted: the header is the
     * publisher's to write, so a parent from it lets the publisher choose the trace id and the
     * sampling decision.
     *
     * @param parentFromMessage whether the message's context becomes the parent
     * @return a copy with this setting
     */
    public WarrenTracing withParentFromMessage(boolean parentFromMessage) {
        return new WarrenTracing(tracer, propagator, parentFromMessage, bodySize, serverAddress, serverPort);
    }

    /**
     * Whether process and receive spans carry {@code messaging.message.body.size} (false by
     * default: the conventions make it opt-in).
     *
     * @param bodySize whether to record body sizes
     * @return a copy with this setting
     */
    public WarrenTracing withBodySize(boolean bodySize) {
        return new WarrenTracing(tracer, propagator, parentFromMessage, bodySize, serverAddress, serverPort);
    }

    /**
     * Always: this observer exists to trace messages.
     *
     * @return true
     */
    @Override
    public boolean tracesMessages() {
        return true;
    }

    /**
     * Starts a publish's PRODUCER span, with the message's id and correlation id, and injects
     * its context into {@code headers}.
     *
     * @param exchange the exchange
     * @param routingKey the routing key
     * @param headers the message's headers, mutable
     * @param properties the message's properties
     * @return the span, ended with the publish's outcome
     */
    @Override
    public Operation startPublish(String exchange, String routingKey, Map<String, Object> headers,
            AMQP.BasicProperties properties) {
        return produce("publish", exchange, routingKey, headers, properties);
    }

    /**
     * Starts a call's PRODUCER span, with the request's correlation id as conversation id, and
     * injects its context into {@code headers}.
     *
     * @param exchange the exchange
     * @param routingKey the routing key
     * @param headers the request's headers, mutable
     * @param properties the request's properties
     * @return the span, ended with the call's outcome
     */
    @Override
    public Operation startCall(String exchange, String routingKey, Map<String, Object> headers,
            AMQP.BasicProperties properties) {
        return produce("call", exchange, routingKey, headers, properties);
    }

    private Operation produce(String operation, String exchange, String routingKey, Map<String, Object> headers,
            AMQP.BasicProperties properties) {
        boolean anonymous = isAnonymous(routingKey);
        String destination = exchangeName(exchange) + (routingKey.isEmpty() ? "" : ":" + routingKey);
        SpanBuilder b = messaging(operation + " " + (anonymous ? "(anonymous)" : destination), SpanKind.PRODUCER,
                "send", operation).setAttribute(DESTINATION, destination).setAttribute(ROUTING_KEY, routingKey);
        if (anonymous) {
            b.setAttribute(ANONYMOUS, true).setAttribute(TEMPORARY, true);
        }
        if (properties != null) {
            ids(b, properties);
        }
        Span span = b.startSpan();
        propagator.inject(Context.current().with(span), headers, SETTER);
        return (outcome, failure) -> end(span, outcome, failure);
    }

    @Override
    public Operation startHandle(String queue, Delivery delivery, boolean serve) {
        Span span = consume("process", queue, delivery, serve ? "serve" : "process").startSpan();
        Scope scope = span.makeCurrent();
        return (outcome, failure) -> {
            scope.close();
            end(span, outcome, failure);
        };
    }

    @Override
    public void received(String queue, Delivery delivery, long waitedNanos) {
        Instant now = Instant.now();
        consume("receive", queue, delivery, "receive").setStartTimestamp(now.minusNanos(waitedNanos)).startSpan()
                .end(now);
    }

    /** A consumer span of {@code type} (process, receive) for one delivery from {@code queue}. */
    private SpanBuilder consume(String type, String queue, Delivery delivery, String operation) {
        Context creation = propagator.extract(Context.root(), delivery.headers(), GETTER);
        SpanContext link = Span.fromContext(creation).getSpanContext();
        boolean anonymous = isAnonymous(queue);
        SpanBuilder b = messaging(type + " " + (anonymous ? "(anonymous)" : queue), SpanKind.CONSUMER, type, operation)
                .setAttribute(DESTINATION, consumerDestination(delivery.exchange(), delivery.routingKey(), queue))
                .setAttribute(ROUTING_KEY, delivery.routingKey())
                .setAttribute(SUBSCRIPTION, queue)
                .setAttribute(DELIVERY_TAG, delivery.deliveryTag());
        if (parentFromMessage) {
            b.setParent(creation);
        } else {
            b.setNoParent();
        }
        if (link.isValid()) {
            b.addLink(link);
        }
        if (anonymous) {
            b.setAttribute(ANONYMOUS, true).setAttribute(TEMPORARY, true);
        }
        if (bodySize) {
            b.setAttribute(BODY_SIZE, (long) delivery.body().length);
        }
        ids(b, delivery.properties());
        return b;
    }

    /** {@code messaging.message.id} and {@code messaging.message.conversation_id}, where the message has them. */
    private static void ids(SpanBuilder b, AMQP.BasicProperties properties) {
        String id = properties.getMessageId();
        if (id != null) {
            b.setAttribute(MESSAGE_ID, id);
        }
        String correlation = properties.getCorrelationId();
        if (correlation != null) {
            b.setAttribute(CONVERSATION_ID, correlation);
        }
    }

    private SpanBuilder messaging(String name, SpanKind kind, String type, String operation) {
        SpanBuilder b = tracer.spanBuilder(name).setSpanKind(kind).setAttribute(SYSTEM, "rabbitmq")
                .setAttribute(OPERATION_TYPE, type).setAttribute(OPERATION_NAME, operation);
        if (serverAddress != null) {
            b.setAttribute(SERVER_ADDRESS, serverAddress);
        }
        if (serverPort > 0) {
            b.setAttribute(SERVER_PORT, (long) serverPort);
        }
        return b;
    }

    /** Ends the span; any outcome but a confirm or a reply is an error, with or without an exception. */
    private static void end(Span span, Outcome outcome, Throwable failure) {
        span.setAttribute(OUTCOME, outcome.tag());
        if (failure != null || (outcome != Outcome.ACK && outcome != Outcome.REPLY)) {
            span.setStatus(StatusCode.ERROR, outcome.tag());
            span.setAttribute(ERROR_TYPE, failure != null ? failure.getClass().getName() : outcome.tag());
        }
        span.end();
    }

    /** The exchange as the conventions name it: the default exchange is {@code amq.default}. */
    static String exchangeName(String exchange) {
        return exchange.isEmpty() ? "amq.default" : exchange;
    }

    /** {@code <exchange>:<routing key>:<queue>}, shortened to {@code <exchange>:<queue>} when key and queue agree. */
    static String consumerDestination(String exchange, String routingKey, String queue) {
        String e = exchangeName(exchange);
        return routingKey.isEmpty() || routingKey.equals(queue) ? e + ":" + queue : e + ":" + routingKey + ":" + queue;
    }

    /** A server-named queue or direct reply-to: a name made per connection, not one to put in a span name. */
    static boolean isAnonymous(String queue) {
        return queue.startsWith("amq.gen-") || queue.startsWith("amq.rabbitmq.reply-to");
    }

    @Override
    public String toString() {
        return "WarrenTracing[" + propagator + "]";
    }
}
