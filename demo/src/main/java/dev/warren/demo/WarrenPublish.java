package dev.warren.demo;

import dev.warren.BlockingChannel;
import dev.warren.BlockingConnection;
import dev.warren.Warren;
import java.util.concurrent.atomic.LongAdder;

/** Warren's side of publish-queue and publish-client-bound: N virtual threads, each a plain loop of {@code publish}. */
final class WarrenPublish implements Contender<PublishSetup> {
    @Override
    public Trial prepare(PublishSetup setup) {
        BlockingConnection conn = Warren.connect(setup.uri());
        BlockingChannel ch = conn.openChannel();
        return new Trial() {
            @Override
            public long run(Window window) throws Exception {
                LongAdder confirmed = new LongAdder();
                for (int t = 0; t < setup.threads(); t++) {
                    ch.fork(() -> {
                        while (!window.expired()) {
                            ch.publish(setup.exchange(), setup.routingKey(), setup.body());
                            confirmed.increment();
                        }
                        return null;
                    });
                }
                ch.join();
                return confirmed.sum();
            }

            @Override
            public void close() {
                ch.close();
                conn.close();
            }
        };
    }
}
