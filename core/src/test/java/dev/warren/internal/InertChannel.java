package dev.warren.internal;

import com.rabbitmq.client.Channel;
import java.lang.reflect.Proxy;

/** An amqp-client channel that does nothing: every method returns false, zero or null. For tests that play the broker by hand. */
final class InertChannel {
    private InertChannel() {}

    static Channel create() {
        return (Channel) Proxy.newProxyInstance(Channel.class.getClassLoader(), new Class<?>[] {Channel.class},
                (proxy, method, args) -> {
                    Class<?> r = method.getReturnType();
                    if (r == boolean.class) {
                        return Boolean.FALSE;
                    }
                    if (r == int.class) {
                        return 0;
                    }
                    return r == long.class ? (Object) 0L : null;
                });
    }
}
