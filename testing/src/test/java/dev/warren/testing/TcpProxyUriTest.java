package dev.warren.testing;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** TcpProxy.uri keeps what the broker's URI says, as written (issue 24: "/%2F" became "//"). */
class TcpProxyUriTest {
    @Test
    void keepsTheEncodedDefaultVhostCredentialsAndQuery() {
        try (TcpProxy proxy = new TcpProxy("amqp://localhost:5672")) {
            assertThat(proxy.uri("amqp://bob:p%40ss%2Fw@broker.example:5710/%2F?heartbeat=5"))
                    .isEqualTo("amqp://bob:p%40ss%2Fw@127.0.0.1:" + proxy.port() + "/%2F?heartbeat=5");
            assertThat(proxy.uri("amqps://broker.example")).isEqualTo("amqps://127.0.0.1:" + proxy.port());
        }
    }
}
