package dev.warren.demo;

import dev.warren.BlockingChannel;
import dev.warren.BlockingConnection;
import dev.warren.DeferredConfirm;
import dev.warren.Message;
import dev.warren.Warren;

/**
 * Warren's side of the one-thread pipeline rows: one virtual thread calls
 * {@code publishDeferred} and keeps at most {@value ConfirmPipeline#MAX_IN_FLIGHT} confirms
 * outstanding, awaiting the oldest when the window is full, as the raw pipeline does with its
 * ConfirmListener. The latency recorded is from {@code publishDeferred} to the return of that
 * message's {@code await}.
 */
final class WarrenPublishDeferred implements Contender<PublishSetup> {

    @Override
    public Trial prepare(PublishSetup setup) throws Exception {
        BlockingConnection conn = Warren.connect(setup.uri());
        BlockingChannel ch = conn.openChannel();
        Message message = Message.of(setup.body());
        return new Trial() {
            @Override
            public long run(Window window) throws Exception {
                int size = ConfirmPipeline.MAX_IN_FLIGHT;
                DeferredConfirm[] confirms = new DeferredConfirm[size];
                long[] sentAt = new long[size];
                long sent = 0;
                long settled = 0;
                while (!window.expired()) {
                    int slot = (int) (sent % size);
                    if (sent - settled == size) {
                        settle(confirms, sentAt, slot, window);
                        settled++;
                    }
                    sentAt[slot] = System.nanoTime();
                    confirms[slot] = ch.publishDeferred(setup.exchange(), setup.routingKey(), message);
                    sent++;
                }
                for (; settled < sent; settled++) {
                    settle(confirms, sentAt, (int) (settled % size), window);
                }
                return sent;
            }

            @Override
            public void close() {
                ch.close();
                conn.close();
            }
        };
    }

    private static void settle(DeferredConfirm[] confirms, long[] sentAt, int slot, Window window)
            throws InterruptedException {
        confirms[slot].await();
        window.latencies().record(System.nanoTime() - sentAt[slot]);
        confirms[slot] = null;
    }
}
