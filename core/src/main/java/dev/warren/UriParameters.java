package dev.warren;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.function.BiFunction;
import java.util.regex.Pattern;

/**
 * What {@link ConnectionOptions#of(String)} reads from the URI beyond what amqp-client does: its
 * scheme is checked, and its query parameters {@code heartbeat}, {@code connection_timeout},
 * {@code channel_max} and {@code frame_max} become options, so a {@code with...} call made later
 * overrides them. Other parameters are ignored, as amqp-client ignores them.
 */
final class UriParameters {
    /** From "scheme://user:" to the last '@': a password may hold '/', '@' and '%' unescaped. */
    private static final Pattern PASSWORD = Pattern.compile("(://[^:/@]*:).*@");
    private static final String EXPECTED = "expected amqp://user:password@host:port/vhost or amqps://...";

    private UriParameters() {}

    /** The URI with its password replaced by {@code ***}. */
    static String redact(String uri) {
        return PASSWORD.matcher(uri).replaceFirst("$1***@");
    }

    static ConnectionOptions apply(ConnectionOptions options) {
        String uri = options.uri();
        String lower = uri.toLowerCase(Locale.ROOT);
        if (!lower.startsWith("amqp://") && !lower.startsWith("amqps://")) {
            throw new IllegalArgumentException("malformed AMQP URI " + redact(uri) + ": " + EXPECTED);
        }
        String query;
        try {
            query = new URI(uri).getRawQuery();
        } catch (URISyntaxException e) {
            return options; // reported when connecting, with the rest of what is wrong with it
        }
        if (query == null || query.isEmpty()) {
            return options;
        }
        ConnectionOptions result = options;
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            result = switch (key) {
                case "heartbeat" -> set(result, key, value, "seconds",
                        (o, n) -> o.withHeartbeat(Duration.ofSeconds(n)));
                case "connection_timeout" -> set(result, key, value, "milliseconds",
                        (o, n) -> o.withConnectTimeout(Duration.ofMillis(n)));
                case "channel_max" -> set(result, key, value, "channels", (o, n) -> o.withChannelMax(n.intValue()));
                case "frame_max" -> set(result, key, value, "bytes", (o, n) -> o.withFrameMax(n.intValue()));
                default -> result;
            };
        }
        return result;
    }

    private static ConnectionOptions set(ConnectionOptions o, String key, String value, String unit,
            BiFunction<ConnectionOptions, Long, ConnectionOptions> with) {
        long n;
        try {
            n = Long.parseLong(value.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("the URI parameter " + key + " must be a whole number of " + unit
                    + ", not '" + value + "'");
        }
        if (n < 0 || n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("the URI parameter " + key + " is out of range: " + value);
        }
        try {
            return with.apply(o, n);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the URI parameter " + key + "=" + value + ": " + e.getMessage());
        }
    }
}
