package dev.warren.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.WriteListener;
import com.rabbitmq.client.impl.AMQConnection;
import com.rabbitmq.client.impl.Frame;
import com.rabbitmq.client.impl.FrameHandler;
import java.net.InetAddress;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The writer's frames are flushed once per burst; everyone else's at once. */
@Timeout(10)
class BurstFlushTest {

    @Test
    void theWriterThreadsFlushesWaitForTheEndOfItsBurst() throws Exception {
        CountingHandler socket = new CountingHandler();
        BurstFlush f = new BurstFlush(socket, Thread.currentThread());
        for (int i = 0; i < 10; i++) {
            f.flush(null);
        }
        assertThat(socket.flushes.get()).isZero();
        f.flushBurst();
        assertThat(socket.flushes.get()).isEqualTo(1);
        f.flushBurst();
        assertThat(socket.flushes.get()).as("nothing left to flush").isEqualTo(1);
    }

    @Test
    void aLongBurstIsFlushedEveryMaxUnflushedCommands() throws Exception {
        CountingHandler socket = new CountingHandler();
        BurstFlush f = new BurstFlush(socket, Thread.currentThread());
        for (int i = 0; i < 3 * BurstFlush.MAX_UNFLUSHED; i++) {
            f.flush(null);
        }
        assertThat(socket.flushes.get()).isEqualTo(3);
    }

    @Test
    void otherThreadsAndWriteListenersFlushAtOnce() throws Exception {
        CountingHandler socket = new CountingHandler();
        Thread writer = Thread.ofPlatform().unstarted(() -> { });
        BurstFlush f = new BurstFlush(socket, writer);
        f.flush(null);
        assertThat(socket.flushes.get()).isEqualTo(1);
        BurstFlush onThisThread = new BurstFlush(socket, Thread.currentThread());
        onThisThread.flush((ok, cause) -> { });
        assertThat(socket.flushes.get()).isEqualTo(2);
    }

    /** A frame handler that only counts its flushes. */
    private static final class CountingHandler implements FrameHandler {
        final AtomicInteger flushes = new AtomicInteger();

        @Override
        public void flush(WriteListener listener) {
            flushes.incrementAndGet();
        }

        @Override
        public void setTimeout(int timeoutMs) {
        }

        @Override
        public int getTimeout() {
            return 0;
        }

        @Override
        public void sendHeader() {
        }

        @Override
        public void initialize(AMQConnection connection) {
        }

        @Override
        public void startProcessing() {
        }

        @Override
        public void finishConnectionNegotiation() {
        }

        @Override
        public void setFrameMax(int frameMax) {
        }

        @Override
        public Frame readFrame() {
            return null;
        }

        @Override
        public void writeFrame(Frame frame) {
        }

        @Override
        public void close() {
        }

        @Override
        public InetAddress getLocalAddress() {
            return null;
        }

        @Override
        public int getLocalPort() {
            return 0;
        }

        @Override
        public InetAddress getAddress() {
            return null;
        }

        @Override
        public int getPort() {
            return 0;
        }
    }
}
