package dev.warren.demo;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;

/** Heap occupancy with the garbage collected, for memory-per-object measurements. */
public final class HeapProbe {
    private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();

    private HeapProbe() {
    }

    /**
     * The used heap in bytes after full collections have stopped changing it.
     *
     * <p>One {@code System.gc()} is not enough: finalization, reference processing and a
     * concurrent collector's phases free more on the next one, so collect until two readings
     * agree within 0.5 % (or 10 rounds).
     */
    public static long settledUsedHeap() throws InterruptedException {
        long previous = Long.MAX_VALUE;
        for (int round = 0; round < 10; round++) {
            System.gc();
            Thread.sleep(50);
            long used = MEMORY.getHeapMemoryUsage().getUsed();
            if (Math.abs(previous - used) <= used / 200) {
                return used;
            }
            previous = used;
        }
        return previous;
    }
}
