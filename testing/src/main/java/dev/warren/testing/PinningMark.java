package dev.warren.testing;

import jdk.jfr.Category;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * A point in the JFR event stream that {@link Pins} commits and waits to see: it dates the start
 * and end of a test in the same clock as the pin events, and once it has come through (with the
 * flush after it), every pin committed before it has come through too.
 */
@Name("dev.warren.testing.PinningMark")
@Label("Warren pinning mark")
@Category("Warren")
@StackTrace(false)
final class PinningMark extends Event {
    @Label("id")
    final long id;

    PinningMark(long id) {
        this.id = id;
    }
}
