package dev.warren.internal;

import com.rabbitmq.client.WriteListener;
import com.rabbitmq.client.impl.AMQConnection;
import com.rabbitmq.client.impl.Frame;
import com.rabbitmq.client.impl.FrameHandler;
import java.io.IOException;
import java.net.InetAddress;
import java.net.SocketException;

/** An amqp-client frame handler that passes everything to another; subclasses change one thing. */
abstract class ForwardingFrameHandler implements FrameHandler {
    /** The handler everything is passed to. */
    final FrameHandler delegate;

    ForwardingFrameHandler(FrameHandler delegate) {
        this.delegate = delegate;
    }

    @Override
    public Frame readFrame() throws IOException {
        return delegate.readFrame();
    }

    @Override
    public boolean internalHearbeat() {
        return delegate.internalHearbeat();
    }

    @Override
    public void setTimeout(int timeoutMs) throws SocketException {
        delegate.setTimeout(timeoutMs);
    }

    @Override
    public int getTimeout() throws SocketException {
        return delegate.getTimeout();
    }

    @Override
    public void sendHeader() throws IOException {
        delegate.sendHeader();
    }

    @Override
    public void initialize(AMQConnection connection) {
        delegate.initialize(connection);
    }

    @Override
    public void startProcessing() {
        delegate.startProcessing();
    }

    @Override
    public void finishConnectionNegotiation() {
        delegate.finishConnectionNegotiation();
    }

    @Override
    public void setFrameMax(int frameMax) {
        delegate.setFrameMax(frameMax);
    }

    @Override
    public void writeFrame(Frame frame) throws IOException {
        delegate.writeFrame(frame);
    }

    @Override
    public void flush(WriteListener listener) throws IOException {
        delegate.flush(listener);
    }

    @Override
    public void close() {
        delegate.close();
    }

    @Override
    public InetAddress getLocalAddress() {
        return delegate.getLocalAddress();
    }

    @Override
    public int getLocalPort() {
        return delegate.getLocalPort();
    }

    @Override
    public InetAddress getAddress() {
        return delegate.getAddress();
    }

    @Override
    public int getPort() {
        return delegate.getPort();
    }
}
