package dev.warren;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.function.BiFunction;

/**
 * What {@link ConnectionOptions#of(String)} reads from the URI beyond what amqp-client does: its
 * scheme is checked, and its query parameters {@code heartbeat}, {@code connection_timeout},
 * {@code channel_max} and {@code frame_max} become options, so a {@code with...} call made later
 * overrides them. Other parameters are ignored, as amqp-client ignores them.
 */
final class UriParameters {
    private static final String EXPECTED = "expected amqp://user:password@host:port/vhost or amqps://...";

    private UriParameters() {}

    /**
     * The URI with its password replaced by {@code ***}: Warren's one redaction. Everything from
     * the user name's ':' (or, with no ':' there, from the start of the user info: a token may be
     * the user name) to the <em>last</em> '@' is hidden, because a password may hold '/', '@' and
     * '%' unescaped and so no parse can say where it ends. It works on indexes, not a pattern, so
     * a line break in the password, a single slash after the scheme ({@code amqp:/u:pw@h}) or an
     * '@' in the path or query hides more, never less.
     */
    static String redact(String uri) {
        int colon = uri.indexOf(':');
        if (colon < 0) {
            return uri;
        }
        int start = colon + 1;
        while (start < uri.length() && uri.charAt(start) == '/') {
            start++;
        }
        int at = uri.lastIndexOf('@');
        if (at < start) {
            return uri;
        }
        int userEnd = uri.indexOf(':', start);
        String user = userEnd >= 0 && userEnd < at ? uri.substring(start, userEnd) + ":" : "";
        return uri.substring(0, start) + user + "***" + uri.substring(at);
    }

    /**
     * Refuses a URI whose '@' is not the end of its parsed user info: {@code
     * amqp://svc:1234/abcd@rabbit} parses as host {@code svc}, port 1234 and vhost {@code
     * abcd@rabbit}, so a password of digits, then '/', would be shown in every error and sent
     * nowhere. The message shows the URI redacted (none of such a password).
     */
    private static void requireUnambiguous(String uri, URI parsed) {
        int at = uri.lastIndexOf('@');
        if (at < 0 || parsed.getHost() == null) {
            return; // no '@', or no host[:port] at all: malformed, and reported so when connecting
        }
        String userInfo = parsed.getRawUserInfo();
        int authority = uri.indexOf("://") + 3;
        if (userInfo == null || at != authority + userInfo.length()) {
            throw new IllegalArgumentException("ambiguous AMQP URI " + redact(uri) + ": it has an '@' after the host"
                    + " (in the port, path or query), so a password holding '/' would be read as host, port and vhost;"
                    + " percent-encode '/' and '@' in the user info and the vhost (%2F, %40)");
        }
    }

    static ConnectionOptions apply(ConnectionOptions options) {
        String uri = options.uri();
        String lower = uri.toLowerCase(Locale.ROOT);
        if (!lower.startsWith("amqp://") && !lower.startsWith("amqps://")) {
            throw new IllegalArgumentException("malformed AMQP URI " + redact(uri) + ": " + EXPECTED);
        }
        String query;
        try {
            URI parsed = new URI(uri);
            requireUnambiguous(uri, parsed);
            query = parsed.getRawQuery();
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
