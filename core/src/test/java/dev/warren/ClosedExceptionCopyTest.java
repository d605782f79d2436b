package dev.warren;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A close is thrown to each caller as its own copy: everything the broker said, the caller's own stack. */
@Timeout(10)
class ClosedExceptionCopyTest {

    @Test
    void aChannelClosesCopyKeepsEverythingButTheStackTrace() throws Exception {
        IOException cause = new IOException("socket");
        ChannelClosedException close = new ChannelClosedException(7, 404, "NOT_FOUND - no queue 'q'", true,
                "queue.declare", cause);
        ChannelClosedException copy = copiedOnAnotherThread(close);
        assertThat(copy).isNotSameAs(close).hasMessage(close.getMessage()).hasCause(cause);
        assertThat(copy.channelNumber()).isEqualTo(7);
        assertThat(copy.replyCode()).isEqualTo(404);
        assertThat(copy.replyText()).isEqualTo("NOT_FOUND - no queue 'q'");
        assertThat(copy.initiatedByBroker()).isTrue();
        assertThat(copy.failedMethod()).isEqualTo("queue.declare");
        assertThat(copy.getStackTrace()).as("the caller's own stack").isNotEqualTo(close.getStackTrace());
    }

    @Test
    void aConnectionsCloseCopyKeepsTheConnectionName() throws Exception {
        ConnectionClosedException close = new ConnectionClosedException("orders", 320,
                "CONNECTION_FORCED - broker forced connection closure with reason 'shutdown'", true, null, null);
        ConnectionClosedException copy = copiedOnAnotherThread(close);
        assertThat(copy).isNotSameAs(close).hasMessage(close.getMessage()).hasNoCause();
        assertThat(copy.connectionName()).isEqualTo("orders");
        assertThat(copy.replyCode()).isEqualTo(320);
        assertThat(copy.failedMethod()).isNull();
    }

    @SuppressWarnings("unchecked")
    private static <T extends ClosedException> T copiedOnAnotherThread(T close) throws Exception {
        CompletableFuture<ClosedException> copy = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> copy.complete(close.forCaller()));
        return (T) copy.get(5, TimeUnit.SECONDS);
    }
}
