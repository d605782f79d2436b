package dev.warren.opentelemetry;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** warren-opentelemetry's version, from the resource Maven filters at build time. */
final class Version {
    private Version() {}

    static String read() {
        try (InputStream in = Version.class.getResourceAsStream("version.properties")) {
            if (in == null) {
                return null;
            }
            Properties p = new Properties();
            p.load(in);
            String v = p.getProperty("version");
            return v == null || v.startsWith("$") ? null : v;
        } catch (IOException e) {
            return null;
        }
    }
}
