package dev.warren.opentelemetry;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import dev.warren.BlockingChannel;
import dev.warren.BlockingConnection;
import dev.warren.ConnectionOptions;
import dev.warren.Delivery;
import dev.warren.Message;
import dev.warren.QueueSpec;
import dev.warren.Subscription;
import dev.warren.Warren;
import dev.warren.testing.RabbitBroker;
import dev.warren.testing.RabbitExtension;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Spans from publish to handle and from call to serve, read back from the in-memory exporter. */
@ExtendWith(RabbitExtension.class)
@Timeout(60)
class WarrenTracingTest {
    private static final AtomicLong COUNTER = new AtomicLong();

    private final InMemorySpanExporter exporter = InMemorySpanExporter.create();
    private SdkTracerProvider tracerProvider;
    private BlockingConnection conn;
    private RabbitBroker broker;

    @BeforeEach
    void setUp(RabbitBroker broker) {
        this.broker = broker;
        tracerProvider = SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(exporter)).build();
        OpenTelemetrySdk otel = OpenTelemetrySdk.builder().setTracerProvider(tracerProvider)
                .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance())).build();
        conn = Warren.connect(ConnectionOptions.of(broker.uri()).withObserver(new WarrenTracing(otel)));
    }

    @AfterEach
    void tearDown() {
        conn.close();
        tracerProvider.close();
    }

    private static String unique(String what) {
        return "warren.otel." + what + "." + ProcessHandle.current().pid() + "." + COUNTER.incrementAndGet();
    }

    private static String declare(BlockingChannel ch, String what) throws InterruptedException {
        return ch.queueDeclare(QueueSpec.named(unique(what)).withDurable(false).withAutoDelete(true)).name();
    }

    /** Waits until the exporter holds a span that {@code test} accepts, and returns it. */
    private SpanData awaitSpan(String what, Predicate<SpanData> test) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        for (;;) {
            for (SpanData s : exporter.getFinishedSpanItems()) {
                if (test.test(s)) {
                    return s;
                }
            }
            assertThat(System.nanoTime() - deadline).as("%s among %s", what, exporter.getFinishedSpanItems())
                    .isNegative();
            LockSupport.parkNanos(1_000_000);
        }
    }

    /** Handles one delivery of {@code q} in a subtask; returns it once the handler has run. */
    private Delivery handleOne(BlockingChannel ch, String q) throws InterruptedException {
        Subscription s = ch.consume(q);
        List<Delivery> handled = new CopyOnWriteArrayList<>();
        CountDownLatch done = new CountDownLatch(1);
        ch.fork(() -> s.handle(1, d -> {
            handled.add(d);
            done.countDown();
        }));
        assertThat(done.await(20, TimeUnit.SECONDS)).isTrue();
        s.close();
        ch.join();
        return handled.get(0);
    }

    /** Before: the handler's span took the header's context as parent, so any publisher chose its trace. */
    @Test
    void handlerRunLinksToThePublishThatCreatedTheMessageAndStartsItsOwnTrace() throws Exception {
        try (BlockingChannel ch = conn.openChannel()) {
            String q = declare(ch, "handle");
            ch.publish("", q, Message.text("hello").withMessageId("order-1"));
            Delivery d = handleOne(ch, q);
            assertThat(d.headers()).containsKey("traceparent");

            SpanData producer = awaitSpan("the publish span", s -> s.getKind() == SpanKind.PRODUCER);
            assertThat(producer.getName()).isEqualTo("publish amq.default:" + q);
            assertThat(producer.getAttributes().get(WarrenTracing.MESSAGE_ID)).isEqualTo("order-1");
            assertThat(producer.getAttributes().get(WarrenTracing.SYSTEM)).isEqualTo("rabbitmq");
            assertThat(producer.getAttributes().get(WarrenTracing.OPERATION_TYPE)).isEqualTo("send");
            assertThat(producer.getAttributes().get(WarrenTracing.DESTINATION)).isEqualTo("amq.default:" + q);
            assertThat(producer.getAttributes().get(WarrenTracing.ROUTING_KEY)).isEqualTo(q);
            assertThat(producer.getAttributes().get(WarrenTracing.OUTCOME)).isEqualTo("ack");
            assertThat(producer.getInstrumentationScopeInfo().getSchemaUrl()).isEqualTo(WarrenTracing.SCHEMA_URL);
            assertThat(producer.getInstrumentationScopeInfo().getVersion()).isNotBlank();
            assertThat(producer.getAttributes().get(WarrenTracing.SERVER_ADDRESS)).isNotBlank();
            int port = java.net.URI.create(broker.uri()).getPort();
            assertThat(producer.getAttributes().get(WarrenTracing.SERVER_PORT)).isEqualTo(port > 0 ? port : 5672L);
            assertThat(d.headers().get("traceparent").toString()).contains(producer.getSpanId())
                    .contains(producer.getTraceId());

            SpanData consumer = awaitSpan("the handler's span", s -> s.getKind() == SpanKind.CONSUMER);
            assertThat(consumer.getName()).isEqualTo("process " + q);
            assertThat(consumer.getParentSpanContext().isValid()).isFalse();
            assertThat(consumer.getTraceId()).isNotEqualTo(producer.getTraceId());
            assertThat(consumer.getLinks()).singleElement()
                    .satisfies(l -> assertThat(l.getSpanContext().getSpanId()).isEqualTo(producer.getSpanId()));
            assertThat(consumer.getAttributes().get(WarrenTracing.OPERATION_TYPE)).isEqualTo("process");
            assertThat(consumer.getAttributes().get(WarrenTracing.SUBSCRIPTION)).isEqualTo(q);
            assertThat(consumer.getAttributes().get(WarrenTracing.DESTINATION)).isEqualTo("amq.default:" + q);
            assertThat(consumer.getAttributes().get(WarrenTracing.BODY_SIZE)).isNull();
            assertThat(consumer.getAttributes().get(WarrenTracing.OUTCOME)).isEqualTo("ack");
        }
    }

    @Test
    void withParentFromMessageTheHandlerRunIsThePublishsChildAndBodySizeIsOptIn() throws Exception {
        OpenTelemetrySdk otel = OpenTelemetrySdk.builder().setTracerProvider(tracerProvider)
                .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance())).build();
        try (BlockingConnection trusting = Warren.connect(ConnectionOptions.of(broker.uri())
                .withObserver(new WarrenTracing(otel).withParentFromMessage(true).withBodySize(true)));
             BlockingChannel ch = trusting.openChannel()) {
            String q = declare(ch, "parent");
            ch.publish("", q, Message.text("hello"));
            handleOne(ch, q);
            SpanData producer = awaitSpan("the publish span", s -> s.getKind() == SpanKind.PRODUCER);
            SpanData consumer = awaitSpan("the handler's span", s -> s.getKind() == SpanKind.CONSUMER);
            assertThat(consumer.getParentSpanId()).isEqualTo(producer.getSpanId());
            assertThat(consumer.getTraceId()).isEqualTo(producer.getTraceId());
            assertThat(consumer.getAttributes().get(WarrenTracing.BODY_SIZE)).isEqualTo(5L);
        }
    }

    /** Before: take() made no span at all. */
    @Test
    void takeMakesAReceiveSpanLinkedToThePublish() throws Exception {
        try (BlockingChannel ch = conn.openChannel()) {
            String q = declare(ch, "take");
            ch.publish("", q, Message.text("hello"));
            try (Subscription s = ch.consume(q)) {
                s.take().ack();
            }
            SpanData producer = awaitSpan("the publish span", s -> s.getKind() == SpanKind.PRODUCER);
            SpanData receive = awaitSpan("the receive span", s -> s.getName().startsWith("receive"));
            assertThat(receive.getName()).isEqualTo("receive " + q);
            assertThat(receive.getKind()).isEqualTo(SpanKind.CONSUMER);
            assertThat(receive.getAttributes().get(WarrenTracing.OPERATION_TYPE)).isEqualTo("receive");
            assertThat(receive.getLinks()).singleElement()
                    .satisfies(l -> assertThat(l.getSpanContext().getSpanId()).isEqualTo(producer.getSpanId()));
            assertThat(receive.getEndEpochNanos()).isGreaterThanOrEqualTo(receive.getStartEpochNanos());
        }
    }

    /** Before: "publish amq.default" for every queue, and server-named ones were not told apart. */
    @Test
    void aServerNamedQueueIsAnonymousInTheSpanName() throws Exception {
        try (BlockingChannel ch = conn.openChannel()) {
            String q = ch.queueDeclare(QueueSpec.serverNamed()).name();
            ch.publish("", q, Message.text("hello"));
            SpanData producer = awaitSpan("the publish span", s -> s.getKind() == SpanKind.PRODUCER);
            assertThat(producer.getName()).isEqualTo("publish (anonymous)");
            assertThat(producer.getAttributes().get(WarrenTracing.ANONYMOUS)).isTrue();
            assertThat(producer.getAttributes().get(WarrenTracing.TEMPORARY)).isTrue();
            assertThat(producer.getAttributes().get(WarrenTracing.DESTINATION)).isEqualTo("amq.default:" + q);
        }
    }

    /** Before: a timed-out publish ends without an exception, and its span was left without error status. */
    @Test
    void aTimedOutPublishHasAnErrorStatusAndType() {
        OpenTelemetrySdk otel = OpenTelemetrySdk.builder().setTracerProvider(tracerProvider).build();
        new WarrenTracing(otel).startPublish("orders", "eu", new java.util.HashMap<>(),
                        new com.rabbitmq.client.AMQP.BasicProperties())
                .end(dev.warren.WarrenObserver.Outcome.TIMEOUT, null);
        SpanData s = awaitSpan("the publish span", x -> x.getName().equals("publish orders:eu"));
        assertThat(s.getStatus().getStatusCode()).isEqualTo(io.opentelemetry.api.trace.StatusCode.ERROR);
        assertThat(s.getAttributes().get(WarrenTracing.ERROR_TYPE)).isEqualTo("timeout");
    }

    @Test
    void callIsAProducerSpanThatServeLinksTo() throws Exception {
        try (BlockingChannel server = conn.openChannel(); BlockingChannel client = conn.openChannel()) {
            String q = declare(server, "rpc");
            server.fork(() -> server.serve(q, req -> Message.text("re:" + req.bodyAsString())));
            Delivery reply = client.call("", q, Message.text("ping"), Duration.ofSeconds(10));
            assertThat(reply.bodyAsString()).isEqualTo("re:ping");

            SpanData call = awaitSpan("the call span", s -> s.getName().startsWith("call"));
            assertThat(call.getKind()).isEqualTo(SpanKind.PRODUCER);
            assertThat(call.getName()).isEqualTo("call amq.default:" + q);
            assertThat(call.getAttributes().get(WarrenTracing.OPERATION_NAME)).isEqualTo("call");
            assertThat(call.getAttributes().get(WarrenTracing.ROUTING_KEY)).isEqualTo(q);
            assertThat(call.getAttributes().get(WarrenTracing.OUTCOME)).isEqualTo("reply");
            assertThat(call.getAttributes().get(WarrenTracing.CONVERSATION_ID)).isNotEmpty();
            SpanData serve = awaitSpan("the serve span", s -> s.getKind() == SpanKind.CONSUMER);
            assertThat(serve.getLinks()).singleElement()
                    .satisfies(l -> assertThat(l.getSpanContext().getSpanId()).isEqualTo(call.getSpanId()));
            assertThat(serve.getAttributes().get(WarrenTracing.OPERATION_NAME)).isEqualTo("serve");
            assertThat(serve.getAttributes().get(WarrenTracing.CONVERSATION_ID)).isNotEmpty();
            // The reply is published inside the serve span, and carries its context to the caller.
            SpanData replied = awaitSpan("the reply's publish span", s -> s.getName().equals("publish (anonymous)"));
            assertThat(replied.getParentSpanId()).isEqualTo(serve.getSpanId());
            Map<String, Object> headers = reply.headers();
            assertThat(headers.get("traceparent").toString()).contains(replied.getSpanId()).contains(serve.getTraceId());
            server.close();
        }
    }

    @Test
    void messageFromARawPublisherWithoutTraceparentStartsANewTrace() throws Exception {
        try (BlockingChannel ch = conn.openChannel()) {
            String q = declare(ch, "raw");
            ConnectionFactory f = new ConnectionFactory();
            f.setUri(broker.uri());
            try (Connection raw = f.newConnection(); Channel rc = raw.createChannel()) {
                rc.basicPublish("", q, new AMQP.BasicProperties(), "plain".getBytes());
            }
            Delivery d = handleOne(ch, q);
            assertThat(d.headers()).doesNotContainKey("traceparent");
            SpanData consumer = awaitSpan("the handler's span", s -> s.getKind() == SpanKind.CONSUMER);
            assertThat(consumer.getParentSpanContext().isValid()).isFalse();
            assertThat(consumer.getTraceId()).isNotEqualTo("00000000000000000000000000000000");
            assertThat(exporter.getFinishedSpanItems()).filteredOn(s -> s.getKind() == SpanKind.PRODUCER).isEmpty();
        }
    }
}
