package dev.warren.internal;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.LongString;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * AMQP property values in the JDK's types, shared by {@code Message} and {@code Delivery} so that
 * both read a property the same way.
 */
public final class PropertyValues {
    private PropertyValues() {}

    /** The per-message TTL, or null; RabbitMQ only accepts whole milliseconds as a string. */
    public static Duration expiration(AMQP.BasicProperties p) {
        String e = p.getExpiration();
        if (e == null) {
            return null;
        }
        try {
            return Duration.ofMillis(Long.parseLong(e.strip()));
        } catch (NumberFormatException notMillis) {
            throw new IllegalStateException("expiration '" + e + "' is not a number of milliseconds", notMillis);
        }
    }

    /** The timestamp, or null. */
    public static Instant timestamp(AMQP.BasicProperties p) {
        Date t = p.getTimestamp();
        return t == null ? null : t.toInstant();
    }

    /** Whether the delivery mode is 2 (persistent). */
    public static boolean persistent(AMQP.BasicProperties p) {
        Integer mode = p.getDeliveryMode();
        return mode != null && mode == 2;
    }

    /**
     * The headers as the application wrote them: amqp-client's {@link LongString}s (how it reads
     * every string of a field table) turned into {@link String}s, also in nested tables and
     * arrays; unmodifiable, empty for none. Headers without a long string are wrapped, not
     * copied.
     */
    public static Map<String, Object> readableHeaders(Map<String, Object> raw) {
        if (raw == null || raw.isEmpty()) {
            return Map.of();
        }
        if (!needsConversion(raw.values())) {
            return Collections.unmodifiableMap(raw);
        }
        return convertTable(raw);
    }

    private static boolean needsConversion(Iterable<?> values) {
        for (Object v : values) {
            if (v instanceof LongString || v instanceof Map || v instanceof List) {
                return true;
            }
        }
        return false;
    }

    private static Object convert(Object v) {
        if (v instanceof LongString s) {
            return s.toString();
        }
        if (v instanceof Map<?, ?> m) {
            return convertTable(m);
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>(l.size());
            for (Object e : l) {
                out.add(convert(e));
            }
            return Collections.unmodifiableList(out);
        }
        return v;
    }

    private static Map<String, Object> convertTable(Map<?, ?> m) {
        Map<String, Object> out = new LinkedHashMap<>(m.size() * 4 / 3 + 1);
        for (Map.Entry<?, ?> e : m.entrySet()) {
            out.put(String.valueOf(e.getKey()), convert(e.getValue()));
        }
        return Collections.unmodifiableMap(out);
    }
}
