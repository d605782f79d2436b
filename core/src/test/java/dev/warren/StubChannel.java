package dev.warren;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.AlreadyClosedException;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import dev.warren.internal.ChannelContext;
import dev.warren.internal.Writer;
import com.rabbitmq.client.Command;
import com.rabbitmq.client.Method;
import com.rabbitmq.client.ShutdownListener;
import com.rabbitmq.client.ShutdownSignalException;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicReference;

/**
 * An amqp-client {@link Channel} without a broker: it records the shutdown listeners added to
 * it, so a test can fire a close at a chosen moment, and hands each {@code asyncCompletableRpc}
 * to the test as an {@link Rpc} to answer. Everything else is unsupported.
 */
final class StubChannel {
    /** A synchronous method issued on the stub, and the future its caller waits on. */
    record Rpc(Method method, CompletableFuture<Command> reply) {
        /** Answers with a reply that carries the request itself, so a caller can tell it is its own. */
        void answer() {
            reply.complete(echo(method));
        }
    }

    /** The writer every stub's context sends through (it calls the stub's asyncCompletableRpc). */
    static final Writer WRITER = new Writer("stub-writer");
    /** A connection with no frame limit and no close. */
    private static final Connection CONNECTION = (Connection) Proxy.newProxyInstance(
            Connection.class.getClassLoader(), new Class<?>[] {Connection.class}, (proxy, m, args) -> switch (m.getName()) {
                case "getFrameMax" -> 0;
                case "getCloseReason" -> null;
                case "toString" -> "StubConnection";
                case "hashCode" -> System.identityHashCode(proxy);
                case "equals" -> proxy == args[0];
                default -> throw new UnsupportedOperationException(m.getName());
            });

    private final int number;
    private final List<ShutdownListener> listeners = new CopyOnWriteArrayList<>();
    private final AtomicReference<ShutdownSignalException> closeReason = new AtomicReference<>();
    /** The synchronous methods issued, in order. */
    final BlockingQueue<Rpc> rpcs = new LinkedBlockingQueue<>();
    final Channel channel;

    StubChannel(int number) {
        this.number = number;
        InvocationHandler handler = (proxy, m, args) -> switch (m.getName()) {
            case "addShutdownListener" -> {
                listeners.add((ShutdownListener) args[0]);
                yield null;
            }
            case "removeShutdownListener" -> {
                listeners.remove((ShutdownListener) args[0]);
                yield null;
            }
            case "isOpen" -> closeReason.get() == null;
            case "getCloseReason" -> closeReason.get();
            case "getChannelNumber" -> this.number;
            case "getConnection" -> CONNECTION;
            case "asyncCompletableRpc" -> {
                ShutdownSignalException s = closeReason.get();
                if (s != null) {
                    throw new AlreadyClosedException(s);
                }
                Rpc rpc = new Rpc((Method) args[0], new CompletableFuture<>());
                rpcs.add(rpc);
                yield rpc.reply();
            }
            case "close", "abort" -> {
                fire(new ShutdownSignalException(false, true,
                        new AMQP.Channel.Close.Builder().replyCode(200).replyText("OK").build(), proxy));
                yield null;
            }
            case "toString" -> "StubChannel[" + this.number + "]";
            case "hashCode" -> System.identityHashCode(proxy);
            case "equals" -> proxy == args[0];
            default -> throw new UnsupportedOperationException(m.getName());
        };
        channel = (Channel) Proxy.newProxyInstance(Channel.class.getClassLoader(), new Class<?>[] {Channel.class},
                handler);
    }

    /** A channel context over this stub, as Warren makes one for a real channel. */
    ChannelContext context() {
        return new ChannelContext(channel, "stub", WRITER, java.time.Duration.ofSeconds(30));
    }

    /** How many shutdown listeners were added. */
    int listenerCount() {
        return listeners.size();
    }

    /**
     * Closes the stub as amqp-client does: records the reason, fails the method in flight with
     * it (if {@code inFlight} is given), then calls the shutdown listeners, once.
     */
    void fire(ShutdownSignalException s, Rpc inFlight) {
        if (!closeReason.compareAndSet(null, s) && closeReason.get() != s) {
            return;
        }
        if (inFlight != null) {
            inFlight.reply().completeExceptionally(s);
        }
        for (ShutdownListener l : listeners) {
            l.shutdownCompleted(s);
        }
    }

    /** Records the close as amqp-client does first, without calling the listeners yet. */
    void closeWithoutNotifying(ShutdownSignalException s) {
        closeReason.compareAndSet(null, s);
    }

    void fire(ShutdownSignalException s) {
        fire(s, null);
    }

    /** A channel error from the broker, as a 406 in reply to queue.declare. */
    ShutdownSignalException channelError() {
        return new ShutdownSignalException(false, false, new AMQP.Channel.Close.Builder().replyCode(406)
                .replyText("PRECONDITION_FAILED - stubbed").classId(50).methodId(10).build(), channel);
    }

    static Command echo(Method method) {
        return new Command() {
            @Override
            public Method getMethod() {
                return method;
            }

            @Override
            public com.rabbitmq.client.ContentHeader getContentHeader() {
                return null;
            }

            @Override
            public byte[] getContentBody() {
                return null;
            }
        };
    }
}
