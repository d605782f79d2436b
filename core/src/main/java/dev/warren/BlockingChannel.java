package dev.warren;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import dev.warren.internal.ChannelContext;
import dev.warren.internal.ChannelParts;
import dev.warren.internal.Names;
import dev.warren.internal.RpcClient;
import dev.warren.internal.RpcServer;
import dev.warren.internal.Scope;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An AMQP channel that is also a structured-concurrency scope. Opened by
 * {@link BlockingConnection#openChannel()}; the opening thread is its <em>owner</em>.
 *
 * <h2>Blocking calls</h2>
 * Every AMQP operation is a plain blocking call that may be made from any thread, typically
 * from many virtual threads at once. Synchronous AMQP methods (declare, bind, purge, qos ...)
 * take turns in FIFO order, one in flight at a time, as AMQP requires.
 *
 * <h2>Scope</h2>
 * {@link #fork} runs a task in a new virtual thread owned by the channel; {@link #join()} waits
 * for all of them; {@link #close()} cancels what still runs, waits for it, then closes the
 * channel. No subtask outlives its channel. The first subtask that fails cancels its siblings.
 *
 * <h2>When the channel closes</h2>
 * When the broker closes the channel (a channel error such as 403, 404, 406) or the connection
 * closes or is lost, then, in this order: the channel is marked closed, so every new call throws
 * at once; every pending operation throws the {@link ClosedException} (a
 * {@link ChannelClosedException} or {@link ConnectionClosedException} with the broker's reply
 * code, text and failed method); every subtask is interrupted, and {@link #join()} throws the
 * same exception. A call blocked when the channel closed always throws the
 * {@code ClosedException}, never a bare {@link InterruptedException}.
 *
 * <h2>Interrupts</h2>
 * A blocking call interrupted while the channel is open throws {@link InterruptedException}. A
 * synchronous method interrupted while queued was not sent; one interrupted while awaiting its
 * reply was sent, and its reply is consumed and dropped, so the channel stays in step.
 */
public final class BlockingChannel implements AutoCloseable {
    private final BlockingConnection connection;
    private final ChannelParts parts;
    private final ChannelContext ctx;
    private final Scope scope;
    private final AtomicBoolean closing = new AtomicBoolean();

    BlockingChannel(BlockingConnection connection, Channel raw, ConnectionOptions options) {
        this.connection = connection;
        this.parts = new ChannelParts(raw, options.connectionName(), connection.writer(), connection.gate(),
                options.maxUnconfirmed(), options.publishTimeout(), options.operationTimeout(), connection.telemetry());
        this.ctx = parts.context();
        this.scope = parts.scope();
        // It stays in its connection's set until closed by its owner or the connection, even when
        // the broker closed it, so that the connection's close() waits for its subtasks.
    }

    // ---------------------------------------------------------------- scope

    /**
     * Starts {@code task} in a new virtual thread owned by this channel. The owner and the
     * channel's own subtasks may fork.
     *
     * @param <T> the result type
     * @param task what to run
     * @return the subtask
     * @throws NullPointerException if task is null
     * @throws WrongThreadException if called from another thread
     * @throws ClosedException if the channel was closed by the broker or its connection
     * @throws IllegalStateException if the channel was closed by the application
     */
    public <T> Subtask<T> fork(Callable<? extends T> task) {
        Objects.requireNonNull(task, "task");
        scope.ensureMayFork("fork");
        if (!closing.get()) {
            ctx.ensureOpen();
        }
        return scope.fork(task); // IllegalStateException once closed by the application
    }

    /**
     * Starts {@code task}, which returns nothing, in a new virtual thread owned by this channel,
     * as {@link #fork(Callable)} does; its subtask's result is null. A lambda with a result
     * (such as {@code () -> 42}) is a {@code Callable} and goes to the other overload.
     *
     * @param task what to run
     * @return the subtask, whose {@link Subtask#get()} is null once it succeeded
     * @throws NullPointerException if task is null
     * @throws WrongThreadException if called from another thread than the owner or a subtask
     * @throws ClosedException if the channel was closed by the broker or its connection
     * @throws IllegalStateException if the channel was closed by the application
     */
    public Subtask<Void> fork(ThrowingRunnable task) {
        Objects.requireNonNull(task, "task");
        return fork(() -> {
            task.run();
            return null;
        });
    }

    /**
     * Waits until every subtask has finished. Owner only.
     *
     * @throws WrongThreadException if called by another thread than the owner
     * @throws ClosedException if the channel was closed by the broker or its connection (its
     *         subtasks were cancelled; this waits for them to end first)
     * @throws SubtaskFailedException if a subtask failed: its failure is the cause, and the
     *         subtasks still running then were cancelled
     * @throws InterruptedException if interrupted while waiting; the subtasks go on
     */
    public void join() throws InterruptedException {
        ensureOwner("join");
        try {
            scope.awaitIdle();
        } catch (InterruptedException e) {
            throw ctx.closedOr(e);
        }
        ClosedException c = ctx.closedCause();
        if (c != null && !closing.get()) {
            throw c.forCaller();
        }
        scope.throwFailure();
    }

    /**
     * Cancels every subtask that still runs (by interrupt), waits for all of them, fails what
     * other threads still wait for with a {@link ChannelClosedException} (200), then closes the
     * channel. Owner only. Idempotent and quiet: on a channel the broker already closed it only
     * waits for the subtasks (the failure was reported by the calls and by {@link #join()}), so
     * try-with-resources never masks it. If interrupted meanwhile, it finishes anyway and keeps
     * the interrupt status set.
     *
     * @throws WrongThreadException if called by another thread than the owner
     */
    @Override
    public void close() {
        ensureOwner("close");
        closeFromConnection();
    }

    /** {@link #close()} without the owner check, for the connection's close. */
    void closeFromConnection() {
        if (!closing.compareAndSet(false, true)) {
            return;
        }
        scope.shutdown();
        scope.awaitIdleUninterruptibly();
        ctx.closeByApplication(connection.options().connectTimeout());
        connection.removed(this);
    }

    /**
     * Whether the channel is open: not closed by the broker, the connection, or the application.
     *
     * @return whether the channel is open: not closed by the broker, the connection, or the application
     */
    public boolean isOpen() {
        return !closing.get() && ctx.closedCause() == null && ctx.raw().isOpen();
    }

    /** As {@link #isOpen()} without amqp-client's flag, which sits behind a monitor: for hot paths. */
    boolean isKnownOpen() {
        return !closing.get() && ctx.closedCause() == null;
    }

    /**
     * Runs {@code listener} once when this channel closes: closed by the broker (a channel
     * error), with its connection, or by the application's {@link #close()} (then with a
     * {@link ChannelClosedException} 200 whose {@link ClosedException#initiatedByBroker()} is
     * false, after the subtasks have ended). It runs in a new virtual thread, never on
     * amqp-client's threads, so it may block and may use other channels; at once (in a virtual
     * thread too) if the channel is closed already. It is told the close as every pending call
     * was; an exception it throws goes to its thread's uncaught exception handler. Pending
     * calls fail with the close whatever the listeners do.
     *
     * @param listener what to run, given the {@link ClosedException}
     * @throws NullPointerException if listener is null
     */
    public void onClose(java.util.function.Consumer<ClosedException> listener) {
        Objects.requireNonNull(listener, "listener");
        String name = "warren-ch" + ctx.number() + "-on-close";
        ctx.onClose(c -> dev.warren.internal.CloseListeners.start(name, listener, c));
    }

    /**
     * The channel's number on its connection.
     *
     * @return the channel's number on its connection
     */
    public int channelNumber() {
        return ctx.number();
    }

    /**
     * The connection this channel belongs to.
     *
     * @return the connection this channel belongs to
     */
    public BlockingConnection connection() {
        return connection;
    }

    /**
     * The amqp-client channel underneath, for what Warren does not cover. Warren keeps its
     * confirms and its consumers, so what would break those throws
     * {@link UnsupportedOperationException}: {@code basicPublish} (a publish Warren does not
     * count would shift every later confirm), confirm and transaction mode,
     * {@code waitForConfirms*} and {@code setDefaultConsumer}; open a channel of your own with
     * {@code connection().unwrap().createChannel()} for those. A synchronous method issued on it
     * directly bypasses Warren's FIFO slot and must not run concurrently with Warren's, and what
     * it writes is written by the calling thread (an interrupt during that write closes the
     * connection, as with any amqp-client channel used from a virtual thread).
     *
     * @return the amqp-client channel underneath, guarded as said
     */
    public Channel unwrap() {
        return parts.guardedRaw();
    }

    // ---------------------------------------------------------------- queues

    /**
     * Declares a queue (queue.declare) and returns the broker's answer.
     *
     * @param spec what to declare
     * @return the queue's name (the broker's choice for a server-named queue) and counts
     * @throws NullPointerException if spec is null
     * @throws ChannelClosedException e.g. 406 PRECONDITION_FAILED when it exists with other
     *         properties, 403 ACCESS_REFUSED without configure permission, 405 RESOURCE_LOCKED
     *         when another connection has it exclusively; the channel is then closed
     * @throws ClosedException when the channel or connection closes before the reply
     * @throws InterruptedException when interrupted while the channel is open
     */
    public DeclaredQueue queueDeclare(QueueSpec spec) throws InterruptedException {
        ensureNotClosedByApplication();
        return parts.topology().queueDeclare(spec);
    }

    /**
     * Checks that a queue exists (passive queue.declare) and returns its counts.
     *
     * @param queue the queue's name
     * @return its name and counts
     * @throws ChannelClosedException 404 NOT_FOUND if it does not exist; the channel is then closed
     * @throws ClosedException when the channel or connection closes before the reply
     * @throws InterruptedException when interrupted while the channel is open
     */
    public DeclaredQueue queueDeclarePassive(String queue) throws InterruptedException {
        ensureNotClosedByApplication();
        return parts.topology().queueDeclarePassive(queue);
    }

    /**
     * Binds a queue to an exchange (queue.bind).
     *
     * @param queue the queue's name
     * @param exchange the exchange's name; empty for the default exchange
     * @param routingKey the routing key
     * @throws ChannelClosedException 404 NOT_FOUND if either does not exist
     * @throws ClosedException when the channel or connection closes before the reply
     * @throws InterruptedException when interrupted while the channel is open
     */
    public void queueBind(String queue, String exchange, String routingKey) throws InterruptedException {
        queueBind(queue, exchange, routingKey, Map.of());
    }

    /**
     * As {@link #queueBind(String, String, String)}, with binding arguments (e.g. for headers exchanges).
     *
     * @param queue the queue's name
     * @param exchange the exchange's name; empty for the default exchange
     * @param routingKey the routing key
     * @param arguments the arguments (none: an empty map)
     * @throws InterruptedException when interrupted while the channel is open
     */
    public void queueBind(String queue, String exchange, String routingKey, Map<String, Object> arguments)
            throws InterruptedException {
        ensureNotClosedByApplication();
        parts.topology().queueBind(queue, exchange, routingKey, arguments);
    }

    /**
     * Removes a binding (queue.unbind); the same exceptions as {@link #queueBind}.
     *
     * @param queue the queue's name
     * @param exchange the exchange's name; empty for the default exchange
     * @param routingKey the routing key
     * @throws InterruptedException when interrupted while the channel is open
     */
    public void queueUnbind(String queue, String exchange, String routingKey) throws InterruptedException {
        queueUnbind(queue, exchange, routingKey, Map.of());
    }

    /**
     * Removes a binding with arguments (queue.unbind); the same exceptions as {@link #queueBind}.
     *
     * @param queue the queue's name
     * @param exchange the exchange's name; empty for the default exchange
     * @param routingKey the routing key
     * @param arguments the arguments (none: an empty map)
     * @throws InterruptedException when interrupted while the channel is open
     */
    public void queueUnbind(String queue, String exchange, String routingKey, Map<String, Object> arguments)
            throws InterruptedException {
        ensureNotClosedByApplication();
        parts.topology().queueUnbind(queue, exchange, routingKey, arguments);
    }

    /**
     * Removes every ready message of a queue (queue.purge).
     *
     * @param queue the queue's name
     * @return how many messages were removed
     * @throws ChannelClosedException 404 NOT_FOUND if it does not exist
     * @throws ClosedException when the channel or connection closes before the reply
     * @throws InterruptedException when interrupted while the channel is open
     */
    public int queuePurge(String queue) throws InterruptedException {
        ensureNotClosedByApplication();
        return parts.topology().queuePurge(queue);
    }

    /**
     * Deletes a queue (queue.delete); its consumers are cancelled.
     *
     * @param queue the queue's name
     * @return how many messages it held
     * @throws ClosedException when the channel or connection closes before the reply
     * @throws InterruptedException when interrupted while the channel is open
     */
    public int queueDelete(String queue) throws InterruptedException {
        return queueDelete(queue, false, false);
    }

    /**
     * Deletes a queue only if it has no consumers ({@code ifUnused}) and/or no messages
     * ({@code ifEmpty}).
     *
     * @param queue the queue's name
     * @param ifUnused only if it has no consumers (queue) or bindings (exchange)
     * @param ifEmpty only if it holds no messages
     * @return how many messages it held
     * @throws ChannelClosedException 406 PRECONDITION_FAILED when a condition does not hold
     * @throws ClosedException when the channel or connection closes before the reply
     * @throws InterruptedException when interrupted while the channel is open
     */
    public int queueDelete(String queue, boolean ifUnused, boolean ifEmpty) throws InterruptedException {
        ensureNotClosedByApplication();
        return parts.topology().queueDelete(queue, ifUnused, ifEmpty);
    }

    // ---------------------------------------------------------------- exchanges

    /**
     * Declares an exchange (exchange.declare).
     *
     * @param spec what to declare
     * @throws ChannelClosedException 406 PRECONDITION_FAILED when it exists with other
     *         properties, 403 without permission
     * @throws ChannelClosedException on RabbitMQ 4.x, 406 PRECONDITION_FAILED for an exchange
     *         type the broker does not know (e.g. a plugin's type that is not enabled): only
     *         this channel is closed
     * @throws ConnectionClosedException on RabbitMQ 3.x, 503 COMMAND_INVALID for an exchange
     *         type the broker does not know: 3.x treats that as a connection error and closes
     *         the whole connection, every channel of it with it
     * @throws ClosedException when the channel or connection closes before the reply
     * @throws InterruptedException when interrupted while the channel is open
     */
    public void exchangeDeclare(ExchangeSpec spec) throws InterruptedException {
        ensureNotClosedByApplication();
        parts.topology().exchangeDeclare(spec);
    }

    /**
     * Checks that an exchange exists (passive exchange.declare).
     *
     * @param exchange the exchange's name; empty for the default exchange
     * @throws ChannelClosedException 404 NOT_FOUND if it does not exist
     * @throws ClosedException when the channel or connection closes before the reply
     * @throws InterruptedException when interrupted while the channel is open
     */
    public void exchangeDeclarePassive(String exchange) throws InterruptedException {
        ensureNotClosedByApplication();
        parts.topology().exchangeDeclarePassive(exchange);
    }

    /**
     * Deletes an exchange (exchange.delete); the same exceptions as {@link #exchangeDeclare}.
     *
     * @param exchange the exchange's name; empty for the default exchange
     * @throws InterruptedException when interrupted while the channel is open
     */
    public void exchangeDelete(String exchange) throws InterruptedException {
        exchangeDelete(exchange, false);
    }

    /**
     * Deletes an exchange, only if it has no bindings when {@code ifUnused}.
     *
     * @param exchange the exchange's name; empty for the default exchange
     * @param ifUnused only if it has no consumers (queue) or bindings (exchange)
     * @throws ChannelClosedException 406 PRECONDITION_FAILED when it is in use and ifUnused
     * @throws ClosedException when the channel or connection closes before the reply
     * @throws InterruptedException when interrupted while the channel is open
     */
    public void exchangeDelete(String exchange, boolean ifUnused) throws InterruptedException {
        ensureNotClosedByApplication();
        parts.topology().exchangeDelete(exchange, ifUnused);
    }

    /**
     * Binds exchange {@code destination} to exchange {@code source} (exchange.bind).
     *
     * @param destination the destination exchange's name
     * @param source the source exchange's name
     * @param routingKey the routing key
     * @throws ChannelClosedException 404 NOT_FOUND if either does not exist
     * @throws ClosedException when the channel or connection closes before the reply
     * @throws InterruptedException when interrupted while the channel is open
     */
    public void exchangeBind(String destination, String source, String routingKey) throws InterruptedException {
        exchangeBind(destination, source, routingKey, Map.of());
    }

    /**
     * As {@link #exchangeBind(String, String, String)}, with binding arguments.
     *
     * @param destination the destination exchange's name
     * @param source the source exchange's name
     * @param routingKey the routing key
     * @param arguments the arguments (none: an empty map)
     * @throws InterruptedException when interrupted while the channel is open
     */
    public void exchangeBind(String destination, String source, String routingKey, Map<String, Object> arguments)
            throws InterruptedException {
        ensureNotClosedByApplication();
        parts.topology().exchangeBind(destination, source, routingKey, arguments);
    }

    /**
     * Removes an exchange-to-exchange binding (exchange.unbind).
     *
     * @param destination the destination exchange's name
     * @param source the source exchange's name
     * @param routingKey the routing key
     * @throws InterruptedException when interrupted while the channel is open
     */
    public void exchangeUnbind(String destination, String source, String routingKey) throws InterruptedException {
        exchangeUnbind(destination, source, routingKey, Map.of());
    }

    /**
     * Removes an exchange-to-exchange binding with arguments (exchange.unbind).
     *
     * @param destination the destination exchange's name
     * @param source the source exchange's name
     * @param routingKey the routing key
     * @param arguments the arguments (none: an empty map)
     * @throws InterruptedException when interrupted while the channel is open
     */
    public void exchangeUnbind(String destination, String source, String routingKey, Map<String, Object> arguments)
            throws InterruptedException {
        ensureNotClosedByApplication();
        parts.topology().exchangeUnbind(destination, source, routingKey, arguments);
    }

    // ---------------------------------------------------------------- basic

    /**
     * Limits unacknowledged deliveries per consumer on this channel (basic.qos, per consumer,
     * applying to consumers started afterwards).
     *
     * @param prefetchCount the most unacknowledged deliveries, 0 for no limit
     * @throws IllegalArgumentException if it is not in 0..65535
     * @throws ClosedException when the channel or connection closes before the reply
     * @throws InterruptedException when interrupted while the channel is open
     */
    public void basicQos(int prefetchCount) throws InterruptedException {
        basicQos(prefetchCount, false);
    }

    /**
     * basic.qos; with {@code global} the limit is shared by all consumers of the channel.
     * Warren itself only ever sends the per-consumer form (for {@link #consume}, {@link #call}
     * and {@link #serve}). A global qos is a deprecated feature of RabbitMQ 4.x
     * ({@code global_qos}), denied by default from 4.3 (and ignored by quorum queues): prefer the
     * per-consumer prefetch of {@link ConsumeOptions#withPrefetch(int)}.
     *
     * @param prefetchCount the prefetch count
     * @param global whether it applies to the whole channel (else per consumer)
     * @throws InterruptedException when interrupted while the channel is open
     * @throws IllegalArgumentException if prefetchCount is not in 0..65535
     */
    public void basicQos(int prefetchCount, boolean global) throws InterruptedException {
        ensureNotClosedByApplication();
        parts.topology().basicQos(prefetchCount, global);
    }

    // ---------------------------------------------------------------- publishing

    /**
     * Publishes a message and returns when the broker has confirmed it (publisher confirms). A
     * message that is not {@linkplain Message#withMandatory(boolean) mandatory} and that the
     * exchange routes to no queue (e.g. the default exchange and a queue that does not exist) is
     * confirmed too, and dropped by the broker: publish it mandatory to hear of that.
     * Any number of threads may publish on one channel at once; each waits only for its own
     * confirm. While the channel has {@link ConnectionOptions#maxUnconfirmed()} messages
     * unconfirmed, and while the broker blocks the connection (resource alarm), it waits first,
     * up to the publish timeout if one is set.
     *
     * @param exchange the exchange, {@code ""} for the default exchange
     * @param routingKey the routing key (the queue name, for the default exchange)
     * @param body the message body, not copied
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if exchange or routing key is longer than 255 bytes
     * @throws PublishNackedException when the broker nacked it (it was not enqueued)
     * @throws PublishTimeoutException when the publish timeout passed
     * @throws ClosedException when the channel or connection closed before the confirm: the
     *         outcome is then <em>unknown</em> (the broker may or may not have the message);
     *         with 404 NOT_FOUND and failed method {@code basic.publish} when the exchange does
     *         not exist (the channel is then closed); a {@link ChannelClosedException} with 406
     *         PRECONDITION_FAILED, failed method {@code basic.publish} and a reply text naming
     *         the message's size and the broker's limit ({@code max_message_size}: 128 MiB by
     *         default on RabbitMQ 3.x, 16 MiB on 4.x) when the body is larger than the broker
     *         allows: on both, only the channel is closed, and the connection goes on
     * @throws InterruptedException when interrupted while the channel is open; the message may
     *         or may not have been sent
     */
    public void publish(String exchange, String routingKey, byte[] body) throws InterruptedException {
        Objects.requireNonNull(body, "body");
        publish(exchange, routingKey, null, body, false, parts.publisher().defaultTimeout());
    }

    /**
     * Publishes a message with its properties and mandatory flag, and returns when the broker
     * has confirmed it; as {@link #publish(String, String, byte[])}.
     *
     * @param exchange the exchange's name; empty for the default exchange
     * @param routingKey the routing key
     * @param message the message
     * @throws InterruptedException when interrupted while the channel is open
     * @throws UnroutableException when the message is {@link Message#mandatory() mandatory}
     *         and no queue took it (reply code 312 NO_ROUTE): it was not enqueued
     */
    public void publish(String exchange, String routingKey, Message message) throws InterruptedException {
        Objects.requireNonNull(message, "message");
        publish(exchange, routingKey, message.properties(), message.body(), message.mandatory(),
                parts.publisher().defaultTimeout());
    }

    /**
     * As {@link #publish(String, String, Message)}, with a timeout of its own instead of the
     * connection's {@link ConnectionOptions#publishTimeout()}: how long it may wait in all, for
     * a blocked connection, for room under the bound on unconfirmed messages, and for the
     * confirm.
     *
     * @param exchange the exchange's name; empty for the default exchange
     * @param routingKey the routing key
     * @param message the message, with its properties and mandatory flag
     * @param timeout how long it may take; positive
     * @throws IllegalArgumentException if timeout is not positive, or as {@link #publish(String, String, byte[])}
     * @throws PublishTimeoutException when the timeout passed; {@link PublishTimeoutException#sent()}
     *         says whether the message was written (its outcome is then unknown) or never sent
     * @throws InterruptedException when interrupted while the channel is open; the message may
     *         or may not have been sent
     */
    public void publish(String exchange, String routingKey, Message message, Duration timeout)
            throws InterruptedException {
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive, not " + timeout);
        }
        publish(exchange, routingKey, message.properties(), message.body(), message.mandatory(), timeout);
    }

    /**
     * Publishes a message and returns without waiting for its confirm: the confirm comes as the
     * returned {@link DeferredConfirm}, to be awaited later, so that one thread can keep many
     * messages in flight (as many as {@link ConnectionOptions#maxUnconfirmed()}; past that it
     * waits here for room, as {@code publish} does). Messages of one channel are written in the
     * order of their {@code publishDeferred} calls.
     *
     * <p>It waits only before the message is queued: while the broker blocks the connection
     * (resource alarm) and while the channel has {@link ConnectionOptions#maxUnconfirmed()}
     * messages unconfirmed, up to the connection's publish timeout if one is set. Nothing it
     * throws leaves a message behind: when it throws, the message was not sent.
     *
     * @param exchange the exchange's name; empty for the default exchange
     * @param routingKey the routing key
     * @param message the message, with its properties and mandatory flag
     * @return the message's confirm, still to come; see {@link DeferredConfirm} for what awaiting
     *         it throws, also on close and on interrupt
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if exchange or routing key is longer than 255 bytes, or the
     *         message's headers cannot be encoded
     * @throws PublishTimeoutException when the publish timeout passed while it waited for room or
     *         for the broker to unblock the connection (not sent)
     * @throws ClosedException when the channel or connection is closed (not sent)
     * @throws InterruptedException when interrupted while waiting for room or for the broker to
     *         unblock the connection (not sent)
     */
    public DeferredConfirm publishDeferred(String exchange, String routingKey, Message message)
            throws InterruptedException {
        Names.allowEmpty(exchange, "exchange name");
        Names.allowEmpty(routingKey, "routing key");
        Objects.requireNonNull(message, "message");
        ensureNotClosedByApplication();
        connection.refuseIfDraining("publishes");
        return parts.publisher().publishDeferred(exchange, routingKey, message.properties(), message.body(),
                message.mandatory());
    }

    /** As {@link #publishDeferred(String, String, Message)}, waiting at most {@code timeout} (for RobustConnection). */
    DeferredConfirm publishDeferred(String exchange, String routingKey, Message message, Duration timeout)
            throws InterruptedException {
        Names.allowEmpty(exchange, "exchange name");
        Names.allowEmpty(routingKey, "routing key");
        ensureNotClosedByApplication();
        return parts.publisher().publishDeferred(exchange, routingKey, message.properties(), message.body(),
                message.mandatory(), timeout);
    }

    /**
     * Publishes several messages to one destination, all in flight at once (within the bound on
     * unconfirmed messages), and returns when each has an outcome. Failures of single messages
     * (nack, return, timeout, the channel closing before their confirm) are reported in the
     * result, by index, not thrown.
     *
     * @param exchange the exchange's name; empty for the default exchange
     * @param routingKey the routing key
     * @param messages the messages
     * @return which messages failed, and why
     * @throws NullPointerException if an argument or a message is null
     * @throws InterruptedException when interrupted while the channel is open; messages not
     *         reported yet may or may not have been sent
     */
    public PublishBatch publishAll(String exchange, String routingKey, List<Message> messages)
            throws InterruptedException {
        Names.allowEmpty(exchange, "exchange name");
        Names.allowEmpty(routingKey, "routing key");
        Objects.requireNonNull(messages, "messages").forEach(m -> Objects.requireNonNull(m, "message"));
        ensureNotClosedByApplication();
        connection.refuseIfDraining("publishes");
        return new PublishBatch(messages.size(), parts.publisher().publishAll(exchange, routingKey, messages,
                parts.publisher().defaultTimeout()));
    }

    /**
     * How many messages published on this channel await their confirm right now (including
     * those about to be written); never more than {@link ConnectionOptions#maxUnconfirmed()}.
     *
     * @return how many messages await their confirm
     */
    public int unconfirmedCount() {
        return Math.max(0, parts.publisher().unconfirmedCount());
    }

    private void publish(String exchange, String routingKey, AMQP.BasicProperties props, byte[] body,
            boolean mandatory, Duration timeout) throws InterruptedException {
        Names.allowEmpty(exchange, "exchange name");
        Names.allowEmpty(routingKey, "routing key");
        ensureNotClosedByApplication();
        connection.refuseIfDraining("publishes");
        parts.publisher().publish(exchange, routingKey, props == null ? EMPTY_PROPERTIES : props, body, mandatory,
                timeout);
    }

    private static final AMQP.BasicProperties EMPTY_PROPERTIES = new AMQP.BasicProperties();

    // ---------------------------------------------------------------- machinery

    @Override
    public String toString() {
        return "BlockingChannel[" + ctx.number() + (isOpen() ? "" : ", closed") + "]";
    }

    ChannelContext context() {
        return ctx;
    }

    ChannelParts parts() {
        return parts;
    }

    Scope scope() {
        return scope;
    }

    private void ensureOwner(String what) {
        if (Thread.currentThread() != scope.owner()) {
            throw new WrongThreadException("only the channel's owner (" + scope.owner() + ") may " + what + " it");
        }
    }

    private void ensureNotClosedByApplication() {
        if (closing.get()) {
            ClosedException c = ctx.closedCause();
            if (c != null) {
                throw c.forCaller();
            }
            throw new ChannelClosedException(ctx.number(), 200, "closed by the application", false, null, null);
        }
    }

    // ---------------------------------------------------------------- consuming

    /**
     * Subscribes to a queue with {@link ConsumeOptions#defaults()} (prefetch
     * {@value ConsumeOptions#DEFAULT_PREFETCH}, manual acknowledgement). See
     * {@link #consume(String, ConsumeOptions)}.
     *
     * @param queue the queue's name
     * @return the subscription
     * @throws NullPointerException if queue is null
     * @throws IllegalArgumentException if queue is blank or longer than 255 bytes in UTF-8
     * @throws ChannelClosedException e.g. 404 NOT_FOUND when the queue does not exist; the channel is then
     *         closed
     * @throws ClosedException when the channel or connection closes before the reply
     * @throws InterruptedException when interrupted while queued for the channel's slot (nothing was sent)
     */
    public Subscription consume(String queue) throws InterruptedException {
        return consume(queue, ConsumeOptions.defaults());
    }

    /**
     * Subscribes to a queue: basic.qos (this consumer's prefetch) and basic.consume, in one
     * turn of the channel's slot. Deliveries are buffered in the returned {@link Subscription}
     * until taken; closing it cancels the consumer and requeues what nobody took. Closing the
     * channel ends it (its takers throw the {@link ClosedException}).
     *
     * @param queue the queue's name
     * @param options how to do it
     * @return the subscription
     * @throws NullPointerException if queue or options is null
     * @throws IllegalArgumentException if queue is blank or longer than 255 bytes in UTF-8
     * @throws ChannelClosedException e.g. 404 NOT_FOUND when the queue does not exist, 403
     *         ACCESS_REFUSED when another consumer has it exclusively or without read
     *         permission, 406 PRECONDITION_FAILED for an invalid argument; the channel is then closed
     * @throws ClosedException when the channel or connection closes before the reply
     * @throws InterruptedException when interrupted while queued for the channel's slot (nothing
     *         was sent); once sent, amqp-client's wait for the reply cannot be interrupted
     */
    public Subscription consume(String queue, ConsumeOptions options) throws InterruptedException {
        ensureNotClosedByApplication();
        return parts.consumers().consume(scope, queue, options);
    }

    /**
     * Fetches one message from a queue (basic.get) with manual acknowledgement: settle it like
     * any {@link Delivery}.
     *
     * @param queue the queue's name
     * @return the message, or empty when the queue has none ready
     * @throws NullPointerException if queue is null
     * @throws IllegalArgumentException if queue is blank or longer than 255 bytes in UTF-8
     * @throws ChannelClosedException 404 NOT_FOUND when the queue does not exist; the channel is then closed
     * @throws ClosedException when the channel or connection closes before the reply
     * @throws InterruptedException when interrupted while the channel is open; a message the
     *         broker hands over afterwards is requeued at once
     */
    public java.util.Optional<Delivery> get(String queue) throws InterruptedException {
        ensureNotClosedByApplication();
        return parts.consumers().get(queue);
    }

    // ---------------------------------------------------------------- request/reply

    /**
     * Sends a request and waits for its reply (RPC over direct reply-to). Any number of threads
     * may call at once on one channel; each waits only for its own reply, matched by a
     * correlation id unique on the channel. The first call starts the channel's reply consumer
     * (basic.consume of {@code amq.rabbitmq.reply-to}, auto-ack), in the channel's slot.
     *
     * <p>Warren sets the request's reply-to and correlation id, and publishes it
     * {@linkplain Message#mandatory() mandatory} whatever the message says, so that a request
     * no queue takes fails at once. The reply comes back over direct reply-to, which is all that
     * a call relies on: the broker hands a reply published to the request's reply-to straight to
     * this channel's reply consumer, with no queue between them, and drops a reply whose caller
     * has gone (its channel closed). Mandatory does not change that for a reply: from RabbitMQ
     * 4.2 a mandatory publish to a direct reply-to address counts as routed, so a server never
     * hears through a return that its caller went away; a call that timed out simply drops the
     * late reply. It does not wait for the request's confirm (the reply
     * proves delivery), but a nack or a return ends the call as soon as it arrives. A reply
     * that arrives after its call timed out or was interrupted is dropped (logged at debug).
     *
     * @param exchange the exchange, {@code ""} for the default exchange
     * @param routingKey the routing key (the server's queue, for the default exchange)
     * @param request the request; must have neither a reply-to nor a correlation id
     * @param timeout how long to wait for the reply, including the time to send the request
     * @return the reply (auto-acked: nothing to settle); a failed server handler answers with an
     *         error reply, see {@link RequestHandler#errorOf(Delivery)}
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if timeout is not positive, a name is longer than 255
     *         bytes, or the request has a reply-to or a correlation id
     * @throws RpcTimeoutException when no reply arrived in time (also when the request could not
     *         be sent in time because the broker blocked the connection or the bound on
     *         unconfirmed messages stayed full); the call's entry is removed
     * @throws UnroutableException when no queue took the request (312 NO_ROUTE)
     * @throws PublishNackedException when the broker nacked the request
     * @throws ClosedException when the channel or connection closed before the reply (e.g. 404
     *         NOT_FOUND with failed method {@code basic.publish} when the exchange does not exist);
     *         every pending call fails with it
     * @throws InterruptedException when interrupted while the channel is open; the request may
     *         have been sent, and its reply will be dropped
     */
    public Delivery call(String exchange, String routingKey, Message request, Duration timeout)
            throws InterruptedException {
        ensureNotClosedByApplication();
        connection.refuseIfDraining("calls");
        return parts.rpc().call(exchange, routingKey, request, timeout);
    }

    /**
     * How many {@link #call}s wait for their reply on this channel right now (for tests and diagnostics).
     *
     * @return how many calls wait for their reply
     */
    public int pendingCallCount() {
        RpcClient c = parts.rpcIfMade();
        return c == null ? 0 : c.pendingCount();
    }

    /** Replies that matched no waiting call (e.g. late after a timeout); package-private for tests. */
    long droppedReplyCount() {
        RpcClient c = parts.rpcIfMade();
        return c == null ? 0 : c.droppedReplies();
    }

    /** Whether the thread that times out this channel's publishes runs; package-private for tests. */
    boolean publishTimeoutsAlive() {
        return parts.publisher().timeoutsAlive();
    }

    /** Whether the thread that times out this channel's calls runs; package-private for tests. */
    boolean callTimeoutsAlive() {
        RpcClient c = parts.rpcIfMade();
        return c != null && c.timeoutsAlive();
    }

    /**
     * Answers requests from a queue with {@link ServeOptions#defaults()}; see
     * {@link #serve(String, ServeOptions, RequestHandler)}.
     *
     * @param queue the queue's name
     * @param handler what handles each one
     * @throws InterruptedException when interrupted while the channel is open
     */
    public void serve(String queue, RequestHandler handler) throws InterruptedException {
        serve(queue, ServeOptions.defaults(), handler);
    }

    /**
     * Answers requests from a queue until the subscription ends: subscribes (with the options'
     * prefetch), runs the handler on each request in a subtask of this channel, at most
     * {@link ServeOptions#concurrency()} at once, publishes each reply with confirm to the
     * request's reply-to (default exchange) with its correlation id, and acks the request once
     * the reply is confirmed. A failed reply publish (nack, timeout) nacks the request without
     * requeue. A request without reply-to is acked and dropped, with a warning. A handler's
     * exception is answered as {@link RequestHandler} describes. Blocks the calling thread, which
     * may be any thread (often a subtask: {@code ch.fork(() -> { ch.serve(...); })}).
     *
     * <p>To stop serving at will, subscribe yourself and use
     * {@link #serve(Subscription, ServeOptions, RequestHandler)}.
     *
     * @param queue the queue's name
     * @param options how to do it
     * @param handler what handles each one
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if queue is blank or longer than 255 bytes
     * @throws ConsumerCancelledException when the broker cancelled the subscription (its queue
     *         was deleted); the running handlers finish first
     * @throws ClosedException when the channel or connection closed (also 404 NOT_FOUND from the
     *         subscribe when the queue does not exist); running handlers are cancelled by the close
     * @throws java.util.concurrent.CancellationException when the channel's subtasks were
     *         cancelled because one of them failed
     * @throws InterruptedException when interrupted; the running handlers are interrupted (their
     *         requests requeued), the subscription is closed and what it buffered requeued
     */
    public void serve(String queue, ServeOptions options, RequestHandler handler) throws InterruptedException {
        java.util.Objects.requireNonNull(options, "options");
        java.util.Objects.requireNonNull(handler, "handler");
        try (Subscription requests = consume(queue, ConsumeOptions.defaults().withPrefetch(options.prefetch()))) {
            serve(requests, options, handler);
        }
    }

    /**
     * As {@link #serve(String, ServeOptions, RequestHandler)}, from a subscription the caller
     * opened (its prefetch applies, not the options'); returns normally when the application
     * closes it, after the running handlers finished. Replies are published on this channel;
     * requests are settled on the subscription's. The subscription stays open when this throws.
     *
     * @param requests the subscription to serve
     * @param options how to do it
     * @param handler what handles each one
     * @throws NullPointerException if an argument is null
     * @throws ConsumerCancelledException when the broker cancelled the subscription
     * @throws ClosedException when the channel or connection closed
     * @throws java.util.concurrent.CancellationException when the channel's subtasks were
     *         cancelled because one of them failed
     * @throws InterruptedException when interrupted; the running handlers are interrupted (their
     *         requests requeued)
     */
    public void serve(Subscription requests, ServeOptions options, RequestHandler handler)
            throws InterruptedException {
        ensureNotClosedByApplication();
        RpcServer.serve(parts.publisher(), requests, options, handler);
    }
}
