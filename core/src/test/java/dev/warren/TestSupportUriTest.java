package dev.warren;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The test helpers keep a URI's encoded vhost as written (issue 24: "/%2F" became "//"). */
class TestSupportUriTest {
    @Test
    void withCredentialsKeepsTheEncodedDefaultVhost() {
        assertThat(TestSupport.withCredentials("amqp://guest:guest@127.0.0.1:5710/%2F", "bob", "p@ss/word%"))
                .isEqualTo("amqp://bob:p%40ss%2Fword%25@127.0.0.1:5710/%2F");
    }

    @Test
    void withCredentialsKeepsAPathlessUriPathless() {
        assertThat(TestSupport.withCredentials("amqp://guest:guest@localhost:5672", "bob", "pw"))
                .isEqualTo("amqp://bob:pw@localhost:5672");
    }

    @Test
    void withCredentialsKeepsTheQuery() {
        assertThat(TestSupport.withCredentials("amqp://g:g@h:1/v%2Fx?heartbeat=5", "u", "p"))
                .isEqualTo("amqp://u:p@h:1/v%2Fx?heartbeat=5");
    }

    @Test
    void withVhostEncodesTheVhostAndKeepsTheCredentials() {
        assertThat(TestSupport.withVhost("amqp://guest:guest@127.0.0.1:5710/%2F", "/"))
                .isEqualTo("amqp://guest:guest@127.0.0.1:5710/%2F");
        assertThat(TestSupport.withVhost("amqp://guest:guest@127.0.0.1:5710", "a b/c"))
                .isEqualTo("amqp://guest:guest@127.0.0.1:5710/a%20b%2Fc");
    }
}
