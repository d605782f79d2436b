package dev.warren.opentelemetry;

import dev.warren.Delivery;
import dev.warren.WarrenObserver;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;
import java.util.Map;
import java.util.Objects;

/**
 * OpenTelemetry traces for Warren, after OpenTelemetry's messaging semantic conventions: a
 * {@link WarrenObserver} to pass to {@code ConnectionOptions.withObserver}.
 *
 * <ul>
 * <li>{@code publish}: a {@link SpanKind#PRODUCER} span named {@code publish <exchange>}, from the
 *     call to the broker's confirm (or the failure), child of the caller's current context; its
 *     context goes into the message's headers with the configured propagator (W3C
 *     {@code traceparent} by default).
 * <li>{@code call}: a {@link SpanKind#CLIENT} span named {@code call <exchange>}, from the call to
 *     the reply, its context in the request's headers.
 * <li>each {@code handle()} handler run and each {@code serve()} request: a
 *     {@link SpanKind#CONSUMER} span named {@code process <queue>}, child of the context that
 *     the message carries (a message without one starts a new trace), current while the handler
 *     runs, so that the handler's own spans, and the reply {@code serve()} publishes, are its
 *     children: the reply carries the context back.
 * </ul>
 *
 * <p>Attributes: {@code messaging.system} ({@code rabbitmq}), {@code messaging.operation.type}
 * ({@code send} or {@code process}), {@code messaging.operation.name}, {@code
 * messaging.destination.name} (the exchange; {@code ""} is the default exchange), {@code
 * messaging.rabbitmq.destination.routing_key}, {@code messaging.destination.subscription.name}
 * (the consumer's queue), {@code messaging.message.id}, {@code messaging.message.conversation_id}
 * (the correlation id), {@code messaging.message.body.size},
 * {@code messaging.rabbitmq.message.delivery_tag}; a failure sets the span's status to error,
 * {@code error.type} and {@code warren.outcome}.
 *
 * <p>Its hooks run on Warren's threads and never block.
 */
public final class WarrenTracing implements WarrenObserver {
    /** The instrumentation scope's name. */
    public static final String INSTRUMENTATION_NAME = "dev.warren";

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

    /**
     * Traces with {@code openTelemetry}'s tracer provider and text-map propagator.
     *
     * @param openTelemetry the OpenTelemetry instance (e.g. {@code GlobalOpenTelemetry.get()})
     * @throws NullPointerException if {@code openTelemetry} is null
     */
    public WarrenTracing(OpenTelemetry openTelemetry) {
        Objects.requireNonNull(openTelemetry, "openTelemetry");
        this.tracer = openTelemetry.getTracer(INSTRUMENTATION_NAME);
        this.propagator = openTelemetry.getPropagators().getTextMapPropagator();
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

    @Override
    public Operation startPublish(String exchange, String routingKey, Map<String, Object> headers) {
        return produce("publish", SpanKind.PRODUCER, exchange, routingKey, headers);
    }

    @Override
    public Operation startCall(String exchange, String routingKey, Map<String, Object> headers) {
        return produce("call", SpanKind.CLIENT, exchange, routingKey, headers);
    }

    private Operation produce(String operation, SpanKind kind, String exchange, String routingKey,
            Map<String, Object> headers) {
        Span span = messaging(operation + " " + destination(exchange), kind, "send", operation)
                .setAttribute(DESTINATION, exchange).setAttribute(ROUTING_KEY, routingKey).startSpan();
        propagator.inject(Context.current().with(span), headers, SETTER);
        return (outcome, failure) -> end(span, outcome, failure);
    }

    @Override
    public Operation startHandle(String queue, Delivery delivery, boolean serve) {
        Context parent = propagator.extract(Context.root(), delivery.headers(), GETTER);
        SpanBuilder b = messaging("process " + queue, SpanKind.CONSUMER, "process", serve ? "serve" : "process")
                .setParent(parent)
                .setAttribute(DESTINATION, delivery.exchange())
                .setAttribute(ROUTING_KEY, delivery.routingKey())
                .setAttribute(SUBSCRIPTION, queue)
                .setAttribute(BODY_SIZE, (long) delivery.body().length)
                .setAttribute(DELIVERY_TAG, delivery.deliveryTag());
        String id = delivery.properties().getMessageId();
        if (id != null) {
            b.setAttribute(MESSAGE_ID, id);
        }
        String correlation = delivery.properties().getCorrelationId();
        if (correlation != null) {
            b.setAttribute(CONVERSATION_ID, correlation);
        }
        Span span = b.startSpan();
        Scope scope = span.makeCurrent();
        return (outcome, failure) -> {
            scope.close();
            end(span, outcome, failure);
        };
    }

    private SpanBuilder messaging(String name, SpanKind kind, String type, String operation) {
        return tracer.spanBuilder(name).setSpanKind(kind).setAttribute(SYSTEM, "rabbitmq")
                .setAttribute(OPERATION_TYPE, type).setAttribute(OPERATION_NAME, operation);
    }

    private static void end(Span span, Outcome outcome, Throwable failure) {
        span.setAttribute(OUTCOME, outcome.tag());
        if (failure != null) {
            span.setStatus(StatusCode.ERROR, outcome.tag());
            span.setAttribute(ERROR_TYPE, failure.getClass().getName());
        }
        span.end();
    }

    /** The default exchange's name in span names, as the conventions ask for an empty destination. */
    private static String destination(String exchange) {
        return exchange.isEmpty() ? "amq.default" : exchange;
    }

    @Override
    public String toString() {
        return "WarrenTracing[" + propagator + "]";
    }
}
