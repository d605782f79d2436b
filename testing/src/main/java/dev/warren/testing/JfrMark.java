package dev.warren.testing;

import jdk.jfr.Category;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * A point in a JFR event stream that {@link JfrMarks} commits and waits to see: it dates a
 * moment in the same clock as the other events, and once it has come through (with the flush
 * after it), every event committed before it has come through too.
 */
@Name("dev.warren.testing.Mark")
@Label("Warren mark")
@Category("Warren")
@StackTrace(false)
final class JfrMark extends Event {
    @Label("id")
    final long id;

    JfrMark(long id) {
        this.id = id;
    }
}
