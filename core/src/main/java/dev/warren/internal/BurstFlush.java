package dev.warren.internal;

import com.rabbitmq.client.WriteListener;
import com.rabbitmq.client.impl.FrameHandler;
import java.io.IOException;

/**
 * Lets the connection's {@link Writer} flush the socket once per burst instead of once per
 * frame.
 *
 * <p>amqp-client flushes its buffered socket stream after every command it sends, so each
 * publish, ack and method costs a {@code write} system call of its own; with a thousand
 * publishers that call, not the client's Java code, is much of the CPU per message. Frames the
 * writer thread writes stay in amqp-client's 8 KiB buffer (which writes to the socket by itself
 * whenever it fills) until the writer has nothing more to write, or has written
 * {@link #MAX_UNFLUSHED} commands since its last flush, whichever comes first: a lone frame is
 * flushed at once, so no latency is added when the writer is idle, and nothing ever stays
 * buffered while the writer sleeps. Every other thread (amqp-client's heartbeats, the channel
 * opens and closes Warren runs elsewhere) flushes at once, and so flushes the writer's frames too:
 * the stream is one, its order unchanged.
 */
final class BurstFlush extends ForwardingFrameHandler {
    /** Commands written by the writer before it flushes even though more wait. */
    static final int MAX_UNFLUSHED = 64;

    private final Thread writerThread;
    /** Written and read by the writer thread only. */
    private int unflushed;

    BurstFlush(FrameHandler delegate, Thread writerThread) {
        super(delegate);
        this.writerThread = writerThread;
    }

    @Override
    public void flush(WriteListener listener) throws IOException {
        if (listener == null && Thread.currentThread() == writerThread) {
            if (++unflushed < MAX_UNFLUSHED) {
                return;
            }
            unflushed = 0;
        }
        delegate.flush(listener);
    }

    /**
     * On the writer thread, when it runs out of work: flushes what it left in the buffer.
     *
     * @throws IOException when the socket failed
     */
    void flushBurst() throws IOException {
        if (unflushed > 0) {
            unflushed = 0;
            delegate.flush(null);
        }
    }
}
