package io.shopevents.rabbit;

import org.springframework.boot.context.properties.ConfigurationProperties;

/** shop.archive.*: the stream of every event, and how fast a replay from it goes. */
@ConfigurationProperties("shop.archive")
public record ArchiveProperties(boolean enabled, String maxAge, long maxBytes, int replayRate) {

    public ArchiveProperties {
        if (replayRate < 1) {
            throw new IllegalArgumentException("shop.archive.replay-rate must be at least 1 event per second");
        }
    }
}
