package dev.warren.internal;

import com.rabbitmq.client.AMQP;
import dev.warren.ClosedException;
import dev.warren.Delivery;
import dev.warren.DeliveryHandler;
import dev.warren.Message;
import dev.warren.RequestHandler;
import dev.warren.ServeOptions;
import dev.warren.Subscription;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server side of request/reply: a {@link Subscription#handle} loop whose handler computes
 * the reply, publishes it with confirm to the request's reply-to, and lets {@code handle} ack
 * the request on return, so that a request is acked only once its reply is safely with the
 * broker (a reply that fails makes {@code handle} nack the request instead).
 */
public final class RpcServer {
    private static final Logger LOG = LoggerFactory.getLogger(RpcServer.class);
    /** Longest error description put in the error header: a frame must hold all headers. */
    private static final int MAX_ERROR_CHARS = 1000;

    private RpcServer() {}

    /** Serves {@code requests} until it ends; see {@code BlockingChannel.serve} for the contract. */
    public static void serve(Publisher publisher, Subscription requests, ServeOptions options, RequestHandler handler)
            throws InterruptedException {
        Objects.requireNonNull(requests, "requests");
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(handler, "handler");
        DeliveryHandler answering = d -> answer(publisher, d, handler, options);
        if (requests instanceof SubscriptionImpl own) {
            own.handle(options.concurrency(), answering, false, true);
        } else {
            requests.handle(options.concurrency(), answering, false);
        }
    }

    private static void answer(Publisher publisher, Delivery request, RequestHandler handler, ServeOptions options)
            throws Exception {
        AMQP.BasicProperties rp = request.properties();
        String replyTo = rp.getReplyTo();
        if (replyTo == null || replyTo.isEmpty()) {
            // Nobody to answer: requeueing or dead-lettering would not make an address appear.
            LOG.warn("request {} on queue '{}' has no reply-to; acked and dropped", request,
                    request.envelope().getRoutingKey());
            return;
        }
        if (!options.replyTo().test(replyTo)) {
            // Thrown, so that handle() nacks it without requeue: the handler does not run for it.
            throw new IllegalArgumentException("request " + request + " on queue '" + request.envelope().getRoutingKey()
                    + "' names reply-to '" + replyTo + "', which ServeOptions.withReplyTo does not allow; not handled");
        }
        Message reply;
        try {
            reply = handler.handle(request);
            if (reply == null) {
                throw new NullPointerException("the request handler returned null instead of a reply");
            }
        } catch (InterruptedException | ClosedException e) {
            throw e; // Cancelled, or the channel closed: not the request's fault, so no error reply.
        } catch (Exception e) {
            if (!options.errorReplies()) {
                throw e;
            }
            LOG.debug("request handler failed on {}; sending an error reply", request, e);
            reply = errorReply(e, options.errorDetails());
        }
        String correlationId = rp.getCorrelationId();
        AMQP.BasicProperties props = correlationId == null ? reply.properties()
                : reply.properties().builder().correlationId(correlationId).build();
        publisher.publish("", replyTo, props, reply.body(), reply.mandatory(), publisher.defaultTimeout());
    }

    /** The error reply for {@code e}: its class name, and its message only with {@code details}. */
    static Message errorReply(Exception e, boolean details) {
        String m = details ? e.getMessage() : null;
        String text = m == null ? e.getClass().getName() : e.getClass().getName() + ": " + m;
        if (text.length() > MAX_ERROR_CHARS) {
            text = text.substring(0, MAX_ERROR_CHARS);
        }
        return Message.text(text).withHeader(RequestHandler.ERROR_HEADER, text);
    }
}
