package dev.warren;

import java.util.Map;
import java.util.Optional;

/**
 * Answers one request for {@link BlockingChannel#serve(String, RequestHandler)}: maps the
 * request {@link Delivery} to the reply {@link Message}. It runs in its own virtual thread, a
 * subtask of the channel: the channel's close cancels it by interrupt.
 *
 * <p>Warren sends the reply to the request's reply-to through the default exchange, with the
 * request's correlation id, waits for the broker's confirm, and only then acks the request. The
 * handler must not settle the request itself.
 *
 * <h2>Failures</h2>
 * By default ({@link ServeOptions#withErrorReplies(boolean)} true) an exception from the handler
 * (or a null reply) is answered with an <em>error reply</em>: its header {@value #ERROR_HEADER}
 * holds the exception's class name ({@code "java.lang.IllegalStateException"}; with
 * {@link ServeOptions#withErrorDetails(boolean)} also its message, {@code
 * "java.lang.IllegalStateException: out of stock"}), its body the same text in UTF-8, and the
 * request is acked. Callers test for it with
 * {@link #errorOf(Delivery)}. With error replies off, the request is nacked without requeue
 * (dead-lettered if its queue has a dead-letter exchange) and the caller times out. An
 * {@link InterruptedException} (the handler was cancelled) always requeues the request and sends
 * nothing.
 */
@FunctionalInterface
public interface RequestHandler {

    /**
     * The header of an error reply: the failed handler's exception class name, then (with
     * {@link ServeOptions#withErrorDetails(boolean)}) {@code ": "} and its message if it has
     * one, cut to at most 1000 characters.
     */
    String ERROR_HEADER = "x-warren-error";

    /**
     * Computes the reply to a request.
     *
     * @param request the request; its properties carry the caller's reply-to and correlation id
     * @return the reply: its body and properties are sent as they are, except that Warren sets
     *         the correlation id; never null
     * @throws Exception to send an error reply (or nack, see the class comment)
     */
    Message handle(Delivery request) throws Exception;

    /**
     * The error description of an error reply (the value of its {@value #ERROR_HEADER} header),
     * or empty for a normal reply.
     *
     * @param reply the reply
     * @return the error description of an error reply (the value of its {@value #ERROR_HEADER} header), or
     *         empty for a normal reply
     * @throws NullPointerException if reply is null
     */
    static Optional<String> errorOf(Delivery reply) {
        Map<String, Object> headers = reply.properties().getHeaders();
        Object v = headers == null ? null : headers.get(ERROR_HEADER);
        return v == null ? Optional.empty() : Optional.of(v.toString());
    }
}
