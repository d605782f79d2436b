package dev.warren;

import dev.warren.internal.Names;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What {@link BlockingChannel#exchangeDeclare(ExchangeSpec)} declares: immutable; start with
 * {@link #direct}, {@link #fanout}, {@link #topic}, {@link #headers} or {@link #of}, then change
 * what you need with the {@code with...} methods, each of which returns a copy; read a setting
 * back with the method of the same name without {@code with} ({@link #durable()} ...).
 *
 * <h2>Defaults differ from amqp-client's</h2>
 * Every factory method makes a <em>durable</em> exchange, where amqp-client's
 * {@code exchangeDeclare(name, type)} (and RabbitMQ's tutorials) declare transient ones.
 * Declaring an existing exchange with other properties closes the channel with 406
 * PRECONDITION_FAILED ({@code inequivalent arg 'durable'}): to share an exchange with a program
 * that declares it transient, use {@code ExchangeSpec.fanout(name).withDurable(false)}.
 */
public final class ExchangeSpec {
    private final String name;
    private final String type;
    private final boolean durable;
    private final boolean autoDelete;
    private final boolean internal;
    private final Map<String, Object> arguments;

    private ExchangeSpec(String name, String type, boolean durable, boolean autoDelete, boolean internal,
            Map<String, Object> arguments) {
        this.name = name;
        this.type = type;
        this.durable = durable;
        this.autoDelete = autoDelete;
        this.internal = internal;
        this.arguments = arguments;
    }

    /**
     * A <em>durable</em> direct exchange (amqp-client's {@code exchangeDeclare(name, "direct")}
     * is transient: see the class comment).
     *
     * @param name the exchange's name
     * @return the spec
     * @throws NullPointerException if name is null
     * @throws IllegalArgumentException for a blank name or one longer than 255 bytes in UTF-8
     */
    public static ExchangeSpec direct(String name) {
        return of(name, "direct");
    }

    /**
     * A <em>durable</em> fanout exchange (amqp-client's {@code exchangeDeclare(name, "fanout")}
     * is transient: see the class comment).
     *
     * @param name the exchange's name
     * @return the spec
     * @throws NullPointerException if name is null
     * @throws IllegalArgumentException for a blank name or one longer than 255 bytes in UTF-8
     */
    public static ExchangeSpec fanout(String name) {
        return of(name, "fanout");
    }

    /**
     * A <em>durable</em> topic exchange (amqp-client's {@code exchangeDeclare(name, "topic")}
     * is transient: see the class comment).
     *
     * @param name the exchange's name
     * @return the spec
     * @throws NullPointerException if name is null
     * @throws IllegalArgumentException for a blank name or one longer than 255 bytes in UTF-8
     */
    public static ExchangeSpec topic(String name) {
        return of(name, "topic");
    }

    /**
     * A <em>durable</em> headers exchange (amqp-client's {@code exchangeDeclare(name,
     * "headers")} is transient: see the class comment).
     *
     * @param name the exchange's name
     * @return the spec
     * @throws NullPointerException if name is null
     * @throws IllegalArgumentException for a blank name or one longer than 255 bytes in UTF-8
     */
    public static ExchangeSpec headers(String name) {
        return of(name, "headers");
    }

    /**
     * A <em>durable</em> exchange of any type a broker plugin provides (e.g.
     * {@code x-consistent-hash}).
     *
     * @param name the exchange's name
     * @param type the exchange type
     * @return the spec
     * @throws NullPointerException if name or type is null
     * @throws IllegalArgumentException if either is blank or too long
     */
    public static ExchangeSpec of(String name, String type) {
        return new ExchangeSpec(Names.require(name, "exchange name"), Names.require(type, "exchange type"), true,
                false, false, Map.of());
    }

    /**
     * With or without surviving a broker restart.
     *
     * @param durable whether it survives a broker restart
     * @return a copy with this setting
     */
    public ExchangeSpec withDurable(boolean durable) {
        return new ExchangeSpec(name, type, durable, autoDelete, internal, arguments);
    }

    /**
     * With or without being deleted when its last binding goes.
     *
     * @param autoDelete whether it is deleted when its last binding goes
     * @return a copy with this setting
     */
    public ExchangeSpec withAutoDelete(boolean autoDelete) {
        return new ExchangeSpec(name, type, durable, autoDelete, internal, arguments);
    }

    /**
     * Internal or not: clients may not publish to an internal exchange directly (only other
     * exchanges route to it).
     *
     * @param internal whether it is internal
     * @return a copy with this setting
     */
    public ExchangeSpec withInternal(boolean internal) {
        return new ExchangeSpec(name, type, durable, autoDelete, internal, arguments);
    }

    /**
     * With an argument added (or replaced), e.g. {@code alternate-exchange}.
     *
     * @param key the argument's name
     * @param value its value
     * @return a copy with this argument
     * @throws NullPointerException if key or value is null
     */
    public ExchangeSpec withArgument(String key, Object value) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        Map<String, Object> args = new LinkedHashMap<>(arguments);
        args.put(key, value);
        return new ExchangeSpec(name, type, durable, autoDelete, internal, Collections.unmodifiableMap(args));
    }

    /**
     * With all these arguments added (or replaced).
     *
     * @param more the arguments
     * @return a copy with these arguments
     * @throws NullPointerException if the map, a key or a value is null
     */
    public ExchangeSpec withArguments(Map<String, Object> more) {
        ExchangeSpec s = this;
        for (Map.Entry<String, Object> e : Objects.requireNonNull(more, "arguments").entrySet()) {
            s = s.withArgument(e.getKey(), e.getValue());
        }
        return s;
    }

    /**
     * The exchange's name.
     *
     * @return the name
     */
    public String name() {
        return name;
    }

    /**
     * Its type: direct, fanout, topic, headers or a plugin's.
     *
     * @return the type
     */
    public String type() {
        return type;
    }

    /**
     * Whether it survives a broker restart.
     *
     * @return the durable flag
     */
    public boolean durable() {
        return durable;
    }

    /**
     * Whether it is deleted when its last binding goes.
     *
     * @return the auto-delete flag
     */
    public boolean autoDelete() {
        return autoDelete;
    }

    /**
     * Whether clients may not publish to it directly.
     *
     * @return the internal flag
     */
    public boolean internal() {
        return internal;
    }

    /**
     * Its arguments.
     *
     * @return the arguments, unmodifiable
     */
    public Map<String, Object> arguments() {
        return arguments;
    }

    // ---------------------------------------------------------------- the names before withX/x()

    /**
     * Deprecated name of {@link #withDurable(boolean)}.
     *
     * @param durable whether it survives a broker restart
     * @return a copy with this setting
     * @deprecated use {@link #withDurable(boolean)}
     */
    @Deprecated(forRemoval = false)
    public ExchangeSpec durable(boolean durable) {
        return withDurable(durable);
    }

    /**
     * Deprecated name of {@link #withAutoDelete(boolean)}.
     *
     * @param autoDelete whether it is deleted when its last binding goes
     * @return a copy with this setting
     * @deprecated use {@link #withAutoDelete(boolean)}
     */
    @Deprecated(forRemoval = false)
    public ExchangeSpec autoDelete(boolean autoDelete) {
        return withAutoDelete(autoDelete);
    }

    /**
     * Deprecated name of {@link #withInternal(boolean)}.
     *
     * @param internal whether it is internal
     * @return a copy with this setting
     * @deprecated use {@link #withInternal(boolean)}
     */
    @Deprecated(forRemoval = false)
    public ExchangeSpec internal(boolean internal) {
        return withInternal(internal);
    }

    /**
     * Deprecated name of {@link #withArgument(String, Object)}.
     *
     * @param key the argument's name
     * @param value its value
     * @return a copy with this argument
     * @deprecated use {@link #withArgument(String, Object)}
     */
    @Deprecated(forRemoval = false)
    public ExchangeSpec argument(String key, Object value) {
        return withArgument(key, value);
    }

    /**
     * Deprecated name of {@link #durable()}.
     *
     * @return the durable flag
     * @deprecated use {@link #durable()}
     */
    @Deprecated(forRemoval = false)
    public boolean isDurable() {
        return durable;
    }

    /**
     * Deprecated name of {@link #autoDelete()}.
     *
     * @return the auto-delete flag
     * @deprecated use {@link #autoDelete()}
     */
    @Deprecated(forRemoval = false)
    public boolean isAutoDelete() {
        return autoDelete;
    }

    /**
     * Deprecated name of {@link #internal()}.
     *
     * @return the internal flag
     * @deprecated use {@link #internal()}
     */
    @Deprecated(forRemoval = false)
    public boolean isInternal() {
        return internal;
    }

    @Override
    public String toString() {
        return "ExchangeSpec[" + name + ", " + type + (durable ? ", durable" : "") + (autoDelete ? ", auto-delete" : "")
                + (internal ? ", internal" : "") + (arguments.isEmpty() ? "" : ", " + arguments) + "]";
    }
}
