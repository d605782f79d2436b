package dev.warren.internal;

import com.rabbitmq.client.Channel;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Set;

/**
 * The amqp-client channel as {@code BlockingChannel.unwrap()} hands it out: every method passes
 * through, except those that would break what Warren keeps for the channel. A publish that
 * bypasses Warren takes a confirm sequence number Warren does not know of, so every later
 * confirm would be matched to the wrong message; switching confirm or transaction mode, or
 * waiting for confirms, would fight Warren's own confirm handling. Those throw
 * {@link UnsupportedOperationException}; the sequence number reads Warren's.
 */
final class RawChannelGuard {
    private static final Set<String> REFUSED = Set.of("basicPublish", "confirmSelect", "txSelect", "txCommit",
            "txRollback", "waitForConfirms", "waitForConfirmsOrDie", "setDefaultConsumer");

    private RawChannelGuard() {}

    static Channel wrap(Channel raw, Publisher publisher) {
        return (Channel) Proxy.newProxyInstance(Channel.class.getClassLoader(), new Class<?>[] {Channel.class},
                (proxy, method, args) -> invoke(raw, publisher, method, args));
    }

    private static Object invoke(Channel raw, Publisher publisher, Method method, Object[] args) throws Throwable {
        String name = method.getName();
        if (REFUSED.contains(name)) {
            throw new UnsupportedOperationException(name + " on the channel of a BlockingChannel would break Warren's"
                    + " confirm tracking or consumer routing; use BlockingChannel's own methods, or open a channel of"
                    + " your own with connection.unwrap().createChannel()");
        }
        if (name.equals("getNextPublishSeqNo") && method.getParameterCount() == 0) {
            return publisher.nextPublishSeqNo();
        }
        if (name.equals("toString") && method.getParameterCount() == 0) {
            return "Warren-guarded " + raw;
        }
        try {
            return method.invoke(raw, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
