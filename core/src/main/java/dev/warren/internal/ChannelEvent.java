package dev.warren.internal;

import jdk.jfr.Label;

/** What every JFR event of a channel says: its connection and its number. Not an event itself. */
abstract class ChannelEvent extends jdk.jfr.Event {
    @Label("Connection")
    String connection;

    @Label("Channel")
    int channel;
}
