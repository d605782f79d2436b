package dev.warren.demo;

import dev.warren.BlockingChannel;
import dev.warren.BlockingConnection;
import dev.warren.ConsumeOptions;
import dev.warren.Subscription;
import dev.warren.Warren;

/** Warren's side of consume: one thread, {@code take()} and {@code ack()} in a loop. */
final class WarrenConsume implements Contender<ConsumeSetup> {
    @Override
    public Trial prepare(ConsumeSetup setup) throws Exception {
        BlockingConnection conn = Warren.connect(setup.uri());
        BlockingChannel ch = conn.openChannel();
        Subscription sub = ch.consume(setup.queue(), ConsumeOptions.defaults().withPrefetch(setup.prefetch()));
        return new Trial() {
            @Override
            public long run(Window window) throws Exception {
                for (long i = 0; i < setup.messages(); i++) {
                    sub.take().ack();
                }
                return setup.messages();
            }

            @Override
            public void close() {
                sub.close();
                ch.close();
                conn.close();
            }
        };
    }
}
