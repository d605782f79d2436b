package dev.warren;

import dev.warren.internal.Names;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What {@link BlockingChannel#exchangeDeclare(ExchangeSpec)} declares: immutable; start with
 * {@link #direct}, {@link #fanout}, {@link #topic}, {@link #headers} or {@link #of}; durable by
 * default.
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

    /** A durable direct exchange. @throws IllegalArgumentException for a blank or too long name */
    public static ExchangeSpec direct(String name) {
        return of(name, "direct");
    }

    /** A durable fanout exchange. @throws IllegalArgumentException for a blank or too long name */
    public static ExchangeSpec fanout(String name) {
        return of(name, "fanout");
    }

    /** A durable topic exchange. @throws IllegalArgumentException for a blank or too long name */
    public static ExchangeSpec topic(String name) {
        return of(name, "topic");
    }

    /** A durable headers exchange. @throws IllegalArgumentException for a blank or too long name */
    public static ExchangeSpec headers(String name) {
        return of(name, "headers");
    }

    /**
     * A durable exchange of any type a broker plugin provides (e.g. {@code x-consistent-hash}).
     *
     * @throws NullPointerException if name or type is null
     * @throws IllegalArgumentException if either is blank or too long
     */
    public static ExchangeSpec of(String name, String type) {
        return new ExchangeSpec(Names.require(name, "exchange name"), Names.require(type, "exchange type"), true,
                false, false, Map.of());
    }

    /** Whether it survives a broker restart. */
    public ExchangeSpec durable(boolean durable) {
        return new ExchangeSpec(name, type, durable, autoDelete, internal, arguments);
    }

    /** Whether it is deleted when its last binding goes. */
    public ExchangeSpec autoDelete(boolean autoDelete) {
        return new ExchangeSpec(name, type, durable, autoDelete, internal, arguments);
    }

    /** Whether clients may not publish to it directly (only other exchanges route to it). */
    public ExchangeSpec internal(boolean internal) {
        return new ExchangeSpec(name, type, durable, autoDelete, internal, arguments);
    }

    /** Adds an argument (e.g. {@code alternate-exchange}). */
    public ExchangeSpec argument(String key, Object value) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        Map<String, Object> args = new LinkedHashMap<>(arguments);
        args.put(key, value);
        return new ExchangeSpec(name, type, durable, autoDelete, internal, Collections.unmodifiableMap(args));
    }

    /** The exchange's name. */
    public String name() {
        return name;
    }

    /** Its type: direct, fanout, topic, headers or a plugin's. */
    public String type() {
        return type;
    }

    /** Whether it survives a broker restart. */
    public boolean isDurable() {
        return durable;
    }

    /** Whether it is deleted when its last binding goes. */
    public boolean isAutoDelete() {
        return autoDelete;
    }

    /** Whether clients may not publish to it directly. */
    public boolean isInternal() {
        return internal;
    }

    /** Its arguments, unmodifiable. */
    public Map<String, Object> arguments() {
        return arguments;
    }

    @Override
    public String toString() {
        return "ExchangeSpec[" + name + ", " + type + (durable ? ", durable" : "") + (autoDelete ? ", auto-delete" : "")
                + (internal ? ", internal" : "") + (arguments.isEmpty() ? "" : ", " + arguments) + "]";
    }
}
