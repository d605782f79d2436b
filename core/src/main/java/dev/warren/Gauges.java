package dev.warren;

import dev.warren.internal.ChannelParts;
import java.util.Set;
import java.util.function.ToIntFunction;

/** A connection's gauges, read from its channels when asked: nothing is counted per message. */
final class Gauges implements ConnectionStats {
    private final BlockingConnection connection;
    private final Set<BlockingChannel> channels;

    Gauges(BlockingConnection connection, Set<BlockingChannel> channels) {
        this.connection = connection;
        this.channels = channels;
    }

    @Override
    public String connectionName() {
        return connection.name();
    }

    @Override
    public int openChannels() {
        return sum(p -> p.context().closedCause() == null ? 1 : 0);
    }

    @Override
    public int unconfirmedPublishes() {
        return sum(p -> Math.max(0, p.publisher().unconfirmedCount()));
    }

    @Override
    public int parkedInPublish() {
        return sum(ChannelParts::parkedInPublish);
    }

    @Override
    public int parkedInCall() {
        return sum(ChannelParts::parkedInCall);
    }

    @Override
    public int parkedInTake() {
        return sum(ChannelParts::parkedInTake);
    }

    @Override
    public String serverAddress() {
        java.net.InetAddress a = connection.unwrap().getAddress();
        return a == null ? null : a.getHostAddress();
    }

    @Override
    public int serverPort() {
        return connection.unwrap().getPort();
    }

    @Override
    public boolean tlsUnverified() {
        return dev.warren.internal.InsecureTls.of(connection.options());
    }

    /** The sum over the open channels; 0 once the connection is closed. */
    private int sum(ToIntFunction<ChannelParts> each) {
        if (!connection.isOpen()) {
            return 0;
        }
        int n = 0;
        for (BlockingChannel c : channels) {
            if (c.isOpen()) {
                n += each.applyAsInt(c.parts());
            }
        }
        return n;
    }

    @Override
    public String toString() {
        return "ConnectionStats[" + connectionName() + "]";
    }
}
