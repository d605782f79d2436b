package dev.warren;

import static dev.warren.TestSupport.awaitTrue;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import dev.warren.testing.RabbitBroker;
import dev.warren.testing.RabbitExtension;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(RabbitExtension.class)
@Timeout(60)
class RpcTest {
    private static final Duration LONG = Duration.ofSeconds(30);

    private RabbitBroker broker;
    private TestQueues queues;
    private BlockingConnection clientConn;
    private BlockingConnection serverConn;
    private BlockingChannel client;
    private BlockingChannel server;
    private Connection rawConn;

    @BeforeEach
    void setUp(RabbitBroker broker) throws Exception {
        this.broker = broker;
        queues = new TestQueues(broker);
        clientConn = Warren.connect(broker.uri());
        serverConn = Warren.connect(broker.uri());
        client = clientConn.openChannel();
        server = serverConn.openChannel();
    }

    @AfterEach
    void tearDown() throws Exception {
        clientConn.close();
        serverConn.close();
        if (rawConn != null) {
            rawConn.close();
        }
        queues.close();
    }

    private String queue(String what) throws InterruptedException {
        return queue(TestQueues.spec(TestQueues.unique("rpc." + what)));
    }

    private String queue(QueueSpec spec) throws InterruptedException {
        return queues.declare(server, spec);
    }

    /** Serves {@code q} on the server channel in a subtask, echoing "re:" + the request body. */
    private Subtask<Object> serveEcho(String q, ServeOptions options) {
        return server.fork(() -> {
            server.serve(q, options, req -> Message.text("re:" + req.bodyAsString()));
            return null;
        });
    }

    private Channel rawChannel() throws Exception {
        ConnectionFactory f = new ConnectionFactory();
        f.setUri(broker.uri());
        f.setAutomaticRecoveryEnabled(false);
        rawConn = f.newConnection("warren-rpc-test-raw");
        return rawConn.createChannel();
    }

    @Test
    void thousandConcurrentCallersOnOneChannelEachGetTheirOwnReply() throws Exception {
        String q = queue("echo");
        serveEcho(q, ServeOptions.defaults());
        int callers = 1000;
        List<Future<String>> replies = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < callers; i++) {
                String body = "req-" + i;
                replies.add(pool.submit(() -> client.call("", q, Message.text(body), LONG).bodyAsString()));
            }
        }
        for (int i = 0; i < callers; i++) {
            assertThat(replies.get(i).get()).isEqualTo("re:req-" + i);
        }
        assertThat(client.pendingCallCount()).isZero();
        assertThat(client.droppedReplyCount()).isZero();
    }

    @Test
    void withoutErrorRepliesAFailedRequestIsDeadLetteredAndItsCallerTimesOut() throws Exception {
        String dead = queue("dead-letters");
        String q = queue(TestQueues.spec(TestQueues.unique("rpc.no-error-replies"))
                .argument("x-dead-letter-exchange", "").argument("x-dead-letter-routing-key", dead));
        server.fork(() -> {
            server.serve(q, ServeOptions.defaults().withErrorReplies(false), req -> {
                if (req.bodyAsString().equals("boom")) {
                    throw new IllegalStateException("out of stock");
                }
                return Message.text("re:" + req.bodyAsString());
            });
            return null;
        });
        Duration timeout = Duration.ofMillis(500);
        assertThatThrownBy(() -> client.call("", q, Message.text("boom"), timeout))
                .isInstanceOfSatisfying(RpcTimeoutException.class, e -> assertThat(e.timeout()).isEqualTo(timeout));
        // Nacked without requeue: the request went to the dead-letter queue, no reply was sent.
        assertThat(awaitTrue(() -> readyIn(dead) == 1, Duration.ofSeconds(10))).as("request dead-lettered").isTrue();
        assertThat(client.droppedReplyCount()).isZero();
        assertThat(readyIn(q)).isZero();
        // The server carries on with the next request.
        assertThat(client.call("", q, Message.text("fine"), LONG).bodyAsString()).isEqualTo("re:fine");
        assertThat(server.isOpen()).isTrue();
    }

    private int readyIn(String q) {
        try {
            return queues.ready(q);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void callWithoutServerTimesOutAndLeavesNoPendingEntry() throws Exception {
        String q = queue("unserved");
        long start = System.nanoTime();
        assertThatThrownBy(() -> client.call("", q, Message.text("anyone?"), Duration.ofMillis(300)))
                .isInstanceOf(RpcTimeoutException.class)
                .satisfies(e -> assertThat(((RpcTimeoutException) e).timeout()).isEqualTo(Duration.ofMillis(300)));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
        assertThat(client.pendingCallCount()).isZero();
        assertThat(client.isOpen()).isTrue();
    }

    @Test
    void shortTimeoutBehindALongerPendingCallStillFiresOnTime() throws Exception {
        String q = queue("mixed-timeouts");
        Subtask<Object> patient = client.fork(() -> client.call("", q, Message.text("patient"), LONG));
        awaitTrue(() -> client.pendingCallCount() == 1, Duration.ofSeconds(10));
        long start = System.nanoTime();
        assertThatThrownBy(() -> client.call("", q, Message.text("hasty"), Duration.ofMillis(200)))
                .isInstanceOf(RpcTimeoutException.class);
        // Well before the patient call's 30 s: its deadline must not hold back the earlier one.
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(200), Duration.ofSeconds(5));
        assertThat(patient.state()).isEqualTo(Subtask.State.UNAVAILABLE);
        assertThat(client.pendingCallCount()).isEqualTo(1);
    }

    @Test
    void closingTheChannelEndsTheThreadThatTimesOutItsCalls() throws Exception {
        String q = queue("timeouts-thread");
        serveEcho(q, ServeOptions.defaults());
        assertThat(client.callTimeoutsAlive()).isFalse(); // started by the first call only
        assertThat(client.call("", q, Message.text("x"), LONG).bodyAsString()).isEqualTo("re:x");
        assertThat(client.callTimeoutsAlive()).isTrue();
        client.close();
        assertThat(awaitTrue(() -> !client.callTimeoutsAlive(), Duration.ofSeconds(10))).isTrue();
    }

    @Test
    void lateReplyAfterTimeoutIsDroppedWithoutHarm() throws Exception {
        String q = queue("late");
        assertThatThrownBy(() -> client.call("", q, Message.text("first"), Duration.ofMillis(200)))
                .isInstanceOf(RpcTimeoutException.class);
        // One request at a time: the late reply to "first" is published, and so reaches the
        // client, before the reply to "second".
        serveEcho(q, ServeOptions.defaults().withPrefetch(1).withConcurrency(1));
        Delivery reply = client.call("", q, Message.text("second"), LONG);
        assertThat(reply.bodyAsString()).isEqualTo("re:second");
        assertThat(client.droppedReplyCount()).isEqualTo(1);
        assertThat(client.pendingCallCount()).isZero();
        assertThat(client.isOpen()).isTrue();
    }

    @Test
    void serverChannelClosedMidCallLetsCallersTimeOutCleanly() throws Exception {
        String q = queue("dying-server");
        int callers = 10;
        CountDownLatch received = new CountDownLatch(callers);
        server.fork(() -> {
            server.serve(q, req -> {
                received.countDown();
                Thread.sleep(Duration.ofDays(1));
                return Message.text("never");
            });
            return null;
        });
        List<Future<?>> calls = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < callers; i++) {
                calls.add(pool.submit(() -> client.call("", q, Message.text("hello"), Duration.ofSeconds(3))));
            }
            assertThat(received.await(20, TimeUnit.SECONDS)).isTrue();
            server.close();
        }
        for (Future<?> f : calls) {
            assertThatThrownBy(f::get).cause().isInstanceOf(RpcTimeoutException.class);
        }
        assertThat(client.pendingCallCount()).isZero();
        assertThat(client.isOpen()).isTrue();
    }

    @Test
    void clientChannelClosedByBrokerFailsEveryPendingCall() throws Exception {
        String q = queue("silent");
        int callers = 100;
        // A server that takes every request and never answers: once it has them all, every call is pending.
        CountDownLatch received = new CountDownLatch(callers);
        Channel raw = rawChannel();
        raw.basicQos(callers);
        raw.basicConsume(q, false, new DefaultConsumer(raw) {
            @Override
            public void handleDelivery(String tag, Envelope env, AMQP.BasicProperties props, byte[] body) {
                received.countDown();
            }
        });
        List<Future<?>> calls = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < callers; i++) {
                calls.add(pool.submit(() -> client.call("", q, Message.text("hello"), LONG)));
            }
            assertThat(received.await(20, TimeUnit.SECONDS)).isTrue();
            assertThat(client.pendingCallCount()).isEqualTo(callers);
            Future<?> culprit = pool.submit(() -> client.queueDeclarePassive(TestQueues.unique("missing")));
            assertThatThrownBy(culprit::get).cause().isInstanceOf(ChannelClosedException.class);
        }
        for (Future<?> f : calls) {
            assertThatThrownBy(f::get).cause().isInstanceOf(ChannelClosedException.class)
                    .satisfies(e -> assertThat(((ChannelClosedException) e).replyCode()).isEqualTo(404));
        }
        assertThat(client.pendingCallCount()).isZero();
    }

    private Delivery callAFailingHandler(ServeOptions options) throws Exception {
        String q = queue("failing");
        server.fork(() -> {
            server.serve(q, options, req -> {
                throw new IllegalStateException("cannot reach jdbc:postgresql://db/app?password=s3cret");
            });
            return null;
        });
        return client.call("", q, Message.text("order"), LONG);
    }

    /** Before: the reply carried the exception's message, password and all, to any requester. */
    @Test
    void throwingHandlerAnswersWithTheExceptionClassOnlyByDefault() throws Exception {
        Delivery reply = callAFailingHandler(ServeOptions.defaults());
        String expected = "java.lang.IllegalStateException";
        assertThat(RequestHandler.errorOf(reply)).contains(expected);
        assertThat(reply.properties().getHeaders().get(RequestHandler.ERROR_HEADER).toString()).isEqualTo(expected);
        assertThat(reply.bodyAsString()).isEqualTo(expected).doesNotContain("s3cret");
    }

    @Test
    void throwingHandlerAnswersWithItsMessageWhenErrorDetailsAreOn() throws Exception {
        Delivery reply = callAFailingHandler(ServeOptions.defaults().withErrorDetails(true));
        String expected = "java.lang.IllegalStateException: cannot reach jdbc:postgresql://db/app?password=s3cret";
        assertThat(RequestHandler.errorOf(reply)).contains(expected);
        assertThat(reply.bodyAsString()).isEqualTo(expected);
    }

    /** Before: the server answered into whatever queue the request named. */
    @Test
    void requestWhoseReplyToIsRefusedIsNotHandledNorAnswered() throws Exception {
        String q = queue("reply-to");
        String victim = queue("victim");
        java.util.concurrent.atomic.AtomicInteger handled = new java.util.concurrent.atomic.AtomicInteger();
        server.fork(() -> {
            server.serve(q, ServeOptions.defaults().withConcurrency(1)
                    .withReplyTo(r -> r.startsWith("amq.rabbitmq.reply-to")), req -> {
                handled.incrementAndGet();
                return Message.text("re:" + req.bodyAsString());
            });
            return null;
        });
        client.publish("", q, Message.text("forged").withReplyTo(victim));
        // One handler at a time: the forged request is done with before the call behind it is handled.
        Delivery reply = client.call("", q, Message.text("fine"), LONG);
        assertThat(reply.bodyAsString()).isEqualTo("re:fine");
        assertThat(handled).hasValue(1);
        assertThat(client.get(victim)).isEmpty();
    }

    @Test
    void normalReplyHasNoError() throws Exception {
        String q = queue("fine");
        serveEcho(q, ServeOptions.defaults());
        Delivery reply = client.call("", q, Message.text("x").withHeader("h", "v"), LONG);
        assertThat(RequestHandler.errorOf(reply)).isEmpty();
        assertThat(reply.isSettled()).isTrue();
    }

    @Test
    void unroutableRequestFailsFastWithUnroutableException() throws Exception {
        long start = System.nanoTime();
        assertThatThrownBy(() -> client.call("", TestQueues.unique("nobody"), Message.text("lost"), LONG))
                .isInstanceOf(UnroutableException.class)
                .satisfies(e -> assertThat(((UnroutableException) e).replyCode()).isEqualTo(312));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        assertThat(client.pendingCallCount()).isZero();
        assertThat(client.isOpen()).isTrue();
    }

    @Test
    void nackedRequestFailsFastWithPublishNackedException() throws Exception {
        String q = queue(TestQueues.spec(TestQueues.unique("rpc.full")).withMaxLength(0).withOverflow(QueueSpec.Overflow.REJECT_PUBLISH));
        long start = System.nanoTime();
        assertThatThrownBy(() -> client.call("", q, Message.text("rejected"), LONG))
                .isInstanceOf(PublishNackedException.class);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        assertThat(client.pendingCallCount()).isZero();
    }

    @Test
    void interruptedCallThrowsInterruptedExceptionAndLeavesNoPendingEntry() throws Exception {
        String q = queue("interrupted");
        CountDownLatch sent = new CountDownLatch(1);
        Channel raw = rawChannel();
        raw.basicConsume(q, true, new DefaultConsumer(raw) {
            @Override
            public void handleDelivery(String tag, Envelope env, AMQP.BasicProperties props, byte[] body) {
                sent.countDown();
            }
        });
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread caller = Thread.ofVirtual().start(() -> {
            try {
                client.call("", q, Message.text("wait"), LONG);
            } catch (Throwable t) {
                thrown.set(t);
            }
        });
        assertThat(sent.await(20, TimeUnit.SECONDS)).isTrue();
        caller.interrupt();
        caller.join();
        assertThat(thrown.get()).isInstanceOf(InterruptedException.class);
        assertThat(client.pendingCallCount()).isZero();
        assertThat(client.isOpen()).isTrue();
    }

    @Test
    void callRejectsInvalidArguments() {
        Message m = Message.text("x");
        assertThatThrownBy(() -> client.call(null, "q", m, LONG)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> client.call("", null, m, LONG)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> client.call("", "q", null, LONG)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> client.call("", "q", m, null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> client.call("", "q", m, Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> client.call("", "q", m, Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> client.call("", "q", m.withReplyTo("mine"), LONG))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> client.call("", "q", m.withCorrelationId("7"), LONG))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(client.pendingCallCount()).isZero();
        assertThat(client.isOpen()).isTrue();
    }

    @Test
    void serveAcksTheRequestOnlyAfterItsReplyIsConfirmed() throws Exception {
        String dlq = queue("dead");
        String q = queue(TestQueues.spec(TestQueues.unique("rpc.acks")).withDeadLetterExchange("").withDeadLetterRoutingKey(dlq));
        // Replies to this queue are nacked: a request acked before its reply's confirm would be lost
        // instead of dead-lettered.
        String replies = queue(TestQueues.spec(TestQueues.unique("rpc.replies")).withMaxLength(0)
                .withOverflow(QueueSpec.Overflow.REJECT_PUBLISH));
        CountDownLatch handled = new CountDownLatch(1);
        server.fork(() -> {
            server.serve(q, req -> {
                handled.countDown();
                return Message.text("answer");
            });
            return null;
        });
        server.publish("", q, Message.text("request").withReplyTo(replies).withCorrelationId("c1"));
        assertThat(handled.await(20, TimeUnit.SECONDS)).isTrue();
        BlockingChannel watcher = clientConn.openChannel();
        try (Subscription dead = watcher.consume(dlq)) {
            Delivery d = dead.poll(Duration.ofSeconds(20));
            assertThat(d).isNotNull();
            assertThat(d.bodyAsString()).isEqualTo("request");
            d.ack();
        }
    }

    @Test
    void serveAcksTheRequestAndSendsTheCorrelationIdBack() throws Exception {
        String q = queue("acked");
        String replies = queue("replies");
        serveEcho(q, ServeOptions.defaults());
        BlockingChannel watcher = clientConn.openChannel();
        try (Subscription sub = watcher.consume(replies)) {
            server.publish("", q, Message.text("ping").withReplyTo(replies).withCorrelationId("c42"));
            Delivery reply = sub.poll(Duration.ofSeconds(20));
            assertThat(reply).isNotNull();
            assertThat(reply.bodyAsString()).isEqualTo("re:ping");
            assertThat(reply.properties().getCorrelationId()).isEqualTo("c42");
            reply.ack();
        }
    }

    @Test
    void serveEndsWithConsumerCancelledExceptionWhenItsQueueIsDeleted() throws Exception {
        String q = queue("deleted");
        Subtask<Object> serving = serveEcho(q, ServeOptions.defaults());
        // A reply proves the server is consuming.
        assertThat(client.call("", q, Message.text("up?"), LONG).bodyAsString()).isEqualTo("re:up?");
        queues.delete(q);
        assertThatThrownBy(server::join).isInstanceOf(SubtaskFailedException.class)
                .cause().isInstanceOf(ConsumerCancelledException.class);
        assertThat(serving.state()).isEqualTo(Subtask.State.FAILED);
    }

    @Test
    void serveOnASubscriptionReturnsNormallyWhenTheApplicationClosesIt() throws Exception {
        String q = queue("closable");
        Subscription requests = server.consume(q);
        Subtask<String> serving = server.fork(() -> {
            server.serve(requests, ServeOptions.defaults(), req -> Message.text("re:" + req.bodyAsString()));
            return "returned";
        });
        assertThat(client.call("", q, Message.text("up?"), LONG).bodyAsString()).isEqualTo("re:up?");
        requests.close();
        server.join();
        assertThat(serving.get()).isEqualTo("returned");
    }

    @Test
    void requestWithoutReplyToIsAckedAndDropped() throws Exception {
        String q = queue("one-way");
        CountDownLatch handled = new CountDownLatch(2);
        server.fork(() -> {
            server.serve(q, ServeOptions.defaults().withConcurrency(1).withPrefetch(1), req -> {
                handled.countDown();
                return Message.text("re:" + req.bodyAsString());
            });
            return null;
        });
        queues.publish(q, "no reply-to");
        assertThat(client.call("", q, Message.text("with reply-to"), LONG).bodyAsString())
                .isEqualTo("re:with reply-to");
        // Prefetch 1: the second request was delivered only after the first was acked.
        assertThat(queues.ready(q)).isZero();
        assertThat(handled.getCount()).isEqualTo(1);
    }

    @Test
    void requestHeadersAndBodyReachTheServer() throws Exception {
        String q = queue("props");
        server.fork(() -> {
            server.serve(q, req -> Message.of(req.body()).withHeader("seen",
                    String.valueOf(req.properties().getHeaders().get("tenant"))));
            return null;
        });
        Delivery reply = client.call("", q, Message.of("b".getBytes(StandardCharsets.UTF_8)).withHeader("tenant", "acme"),
                LONG);
        assertThat(reply.bodyAsString()).isEqualTo("b");
        assertThat(reply.properties().getHeaders().get("seen").toString()).isEqualTo("acme");
    }
}
