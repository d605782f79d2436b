package dev.warren;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Warren's one URI redaction, on the URIs that got through the pattern it replaced. */
class UriRedactionTest {

    /** Before: no "://", so the pattern did not match and the password was shown. */
    @Test
    void aSingleSlashAfterTheSchemeStillHidesThePassword() {
        assertThat(UriParameters.redact("amqp:/u:pw@h")).isEqualTo("amqp:/u:***@h").doesNotContain("pw");
    }

    /** Before: '.' stopped at the line break, so the pattern did not match. */
    @Test
    void aLineBreakInThePasswordStillHidesAllOfIt() {
        assertThat(UriParameters.redact("amqp://u:first\nsecond@h/v")).isEqualTo("amqp://u:***@h/v");
        assertThat(UriParameters.redact("amqp://u:first\r\nsecond@h/v")).isEqualTo("amqp://u:***@h/v");
    }

    @Test
    void anAtSignInThePathOrQueryHidesMoreNeverLess() {
        assertThat(UriParameters.redact("amqp://u:pw@h/v@x")).doesNotContain("pw");
        assertThat(UriParameters.redact("amqp://u:p/w@h?x=a@b")).doesNotContain("p/w");
        assertThat(UriParameters.redact("amqp://token@h")).isEqualTo("amqp://***@h");
        assertThat(UriParameters.redact("amqp://h:5672/v")).isEqualTo("amqp://h:5672/v");
    }

    /** Before: accepted, and every error showed "svc:1234/abcd@rabbit", both halves of the password. */
    @Test
    void aUriThatHidesAPasswordAsHostPortAndVhostIsRefusedWithoutShowingIt() {
        assertThatThrownBy(() -> ConnectionOptions.of("amqp://svc:1234/abcd@rabbit"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ambiguous")
                .hasMessageContaining("%2F").hasMessageNotContaining("1234").hasMessageNotContaining("abcd");
        assertThatThrownBy(() -> ConnectionOptions.of("amqp://u:pw@h/vh@ost"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageNotContaining("pw");
        assertThat(ConnectionOptions.of("amqp://u:pw@h/vh%40ost").uri()).isEqualTo("amqp://u:pw@h/vh%40ost");
        assertThat(ConnectionOptions.of("amqp://svc:1234%2Fabcd@rabbit").redactedUri()).isEqualTo("amqp://svc:***@rabbit");
    }
}
