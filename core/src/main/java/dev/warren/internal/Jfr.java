package dev.warren.internal;

import jdk.jfr.EventType;

/**
 * Warren's JFR event types, looked up once, so that the hot paths ask whether an event is on
 * with one read of a cached flag before doing any work for it (no event object is made while
 * no recording wants it).
 *
 * <p>Costs under a recording: the per-operation events (Publish, Call, Take, Handle) have a
 * threshold of 20 ms, as {@code jdk.SocketRead} has, so a recording with the JDK's
 * {@code default.jfc} (which has no line for them) logs only the slow ones; the shipped
 * {@code dev/warren/warren.jfc} turns the threshold off. Stack traces follow one rule: on for an
 * event committed on the application's thread that waited in the operation (Publish, Call,
 * Take), off for one committed on Warren's or amqp-client's threads (Handle, ChannelClosed,
 * ConnectionLost, Recovered), whose stack would be Warren's own.
 */
final class Jfr {
    static final EventType PUBLISH = type(PublishEvent.class);
    static final EventType CALL = type(CallEvent.class);
    static final EventType TAKE = type(TakeEvent.class);
    static final EventType HANDLE = type(HandleEvent.class);
    static final EventType CHANNEL_CLOSED = type(ChannelClosedEvent.class);
    static final EventType CONNECTION_LOST = type(ConnectionLostEvent.class);
    static final EventType RECOVERED = type(RecoveredEvent.class);

    private Jfr() {}

    /** Whether a recording wants events of this type now. */
    static boolean on(EventType type) {
        return type != null && type.isEnabled();
    }

    private static EventType type(Class<? extends jdk.jfr.Event> c) {
        try {
            return EventType.getEventType(c);
        } catch (RuntimeException | Error e) {
            // A VM without the flight recorder: the events are never on.
            return null;
        }
    }
}
