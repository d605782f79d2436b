package dev.warren.internal;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.LongString;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.Date;
import java.util.List;
import java.util.Map;

/**
 * Checks what amqp-client will encode (header tables, argument tables, the short strings of a
 * message's properties) before Warren takes a sequence number or registers a request, so that
 * amqp-client never refuses a frame halfway: it takes the publish's sequence number, or
 * registers the request's reply, before it encodes, and a refusal then leaves the channel's
 * confirms shifted or its next synchronous method hanging.
 *
 * <p>The types are those amqp-client's {@code ValueWriter} writes. Sizes are bounded from above
 * while walking; only a table whose bound does not fit the frame is encoded to measure it.
 */
public final class FieldTables {
    /** Bytes of a frame that carry no payload (type, channel, size, end marker). */
    private static final int FRAME_OVERHEAD = 8;
    /** The fixed part of a content header: class, weight, body size, property flags. */
    private static final int HEADER_FIXED = 14;

    private FieldTables() {}

    /**
     * Checks a message's properties and returns them.
     *
     * @param frameMax the connection's negotiated frame maximum, 0 for none
     * @throws IllegalArgumentException naming what cannot be encoded or does not fit in a frame
     */
    public static AMQP.BasicProperties checkProperties(AMQP.BasicProperties p, int frameMax) {
        long bound = HEADER_FIXED;
        bound += shortstr(p.getContentType(), "content type");
        bound += shortstr(p.getContentEncoding(), "content encoding");
        bound += shortstr(p.getCorrelationId(), "correlation id");
        bound += shortstr(p.getReplyTo(), "reply-to");
        bound += shortstr(p.getExpiration(), "expiration");
        bound += shortstr(p.getMessageId(), "message id");
        bound += shortstr(p.getType(), "type");
        bound += shortstr(p.getUserId(), "user id");
        bound += shortstr(p.getAppId(), "app id");
        bound += shortstr(p.getClusterId(), "cluster id");
        bound += 8 + 1 + 1; // timestamp, delivery mode, priority
        Map<String, Object> headers = p.getHeaders();
        if (headers != null) {
            bound += table(headers, "header");
        }
        if (frameMax > 0 && bound > frameMax - FRAME_OVERHEAD && encodedHeaderSize(p) > frameMax) {
            throw new IllegalArgumentException("the message's properties and headers take more than the connection's"
                    + " frame_max of " + frameMax + " bytes once encoded; send large data in the body");
        }
        return p;
    }

    /**
     * Checks an argument table (of a declare, a bind, a consume) and returns it.
     *
     * @throws IllegalArgumentException naming the argument that cannot be encoded
     */
    public static Map<String, Object> checkArguments(Map<String, Object> arguments, String what, int frameMax) {
        if (arguments != null) {
            long bound = table(arguments, what);
            if (frameMax > 0 && bound > frameMax - FRAME_OVERHEAD - 1024) {
                throw new IllegalArgumentException("the " + what + "s take up to " + bound
                        + " bytes, more than fits in the connection's frame_max of " + frameMax);
            }
        }
        return arguments;
    }

    private static long shortstr(String s, String what) {
        if (s == null) {
            return 0;
        }
        // Most are short: three bytes a char bound them without encoding.
        int bytes = s.length() * 3 <= 255 ? s.length() * 3 : s.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > 255) {
            throw new IllegalArgumentException("the " + what + " is " + bytes + " bytes in UTF-8; AMQP allows 255");
        }
        return 1 + bytes;
    }

    /** An upper bound of the table's encoded size; throws for what amqp-client cannot encode. */
    private static long table(Map<?, ?> table, String what) {
        long size = 4;
        for (Map.Entry<?, ?> e : table.entrySet()) {
            if (!(e.getKey() instanceof String key)) {
                throw new IllegalArgumentException(what + " names must be strings, not " + typeOf(e.getKey()));
            }
            size += shortstr(key, what + " name '" + key + "'");
            size += value(e.getValue(), what + " '" + key + "'");
        }
        return size;
    }

    private static long value(Object v, String what) {
        long size = 1; // the type tag
        if (v == null || v instanceof Boolean || v instanceof Byte) {
            return size + 1;
        }
        if (v instanceof String s) {
            return size + 4 + (long) s.length() * 3;
        }
        if (v instanceof LongString s) {
            return size + 4 + s.length();
        }
        if (v instanceof Integer || v instanceof Float) {
            return size + 4;
        }
        if (v instanceof Long || v instanceof Double || v instanceof Date) {
            return size + 8;
        }
        if (v instanceof Short) {
            return size + 2;
        }
        if (v instanceof BigDecimal d) {
            if (d.scale() < 0 || d.scale() > 255) {
                throw new IllegalArgumentException(what + ": a decimal's scale must be 0..255, not " + d.scale());
            }
            if (d.unscaledValue().bitLength() > 32) {
                throw new IllegalArgumentException(what + ": a decimal's unscaled value must fit in 32 bits");
            }
            return size + 5;
        }
        if (v instanceof byte[] b) {
            return size + 4 + b.length;
        }
        if (v instanceof Map<?, ?> m) {
            return size + table(m, what);
        }
        if (v instanceof List<?> l) {
            long s = size + 4;
            for (Object item : l) {
                s += value(item, what + " (an item)");
            }
            return s;
        }
        if (v instanceof Object[] a) {
            long s = size + 4;
            for (Object item : a) {
                s += value(item, what + " (an item)");
            }
            return s;
        }
        throw new IllegalArgumentException(what + " is a " + typeOf(v) + ", which AMQP cannot carry: use a String,"
                + " a number, a Boolean, a Date, byte[], a List or a Map (e.g. a UUID or an enum as its toString())");
    }

    private static long encodedHeaderSize(AMQP.BasicProperties p) {
        try {
            return p.toFrame(0, 0).size();
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("the message's properties cannot be encoded: " + e.getMessage(), e);
        }
    }

    private static String typeOf(Object o) {
        return o == null ? "null" : o.getClass().getName();
    }
}
