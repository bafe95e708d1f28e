package io.shopevents.api;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import org.springframework.boot.autoconfigure.jackson.Jackson2ObjectMapperBuilderCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Limits on what the JSON parser accepts, for every JSON this service reads (REST bodies, consumed
 * messages, dead letters): hostile documents fail fast, as 400 or a dead letter, without large
 * allocations. Event data is flat and small; these limits are far above any honest event.
 */
@Configuration
public class JsonLimits {

    static final int MAX_NESTING_DEPTH = 16;
    /** Digits of a number: 1e1000000 is short, but 10^1000000 would not be. */
    static final int MAX_NUMBER_LENGTH = 64;
    /** A body is at most 64 KiB anyway (RequestBodyGuard). */
    static final int MAX_STRING_LENGTH = 64 * 1024;

    @Bean
    Jackson2ObjectMapperBuilderCustomizer jsonReadLimits() {
        return builder -> builder
                // {"orderId":"1","orderId":"2"}: which one was meant? Refuse it.
                .featuresToEnable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
                .postConfigurer(mapper -> mapper.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                        .maxNestingDepth(MAX_NESTING_DEPTH)
                        .maxNumberLength(MAX_NUMBER_LENGTH)
                        .maxStringLength(MAX_STRING_LENGTH)
                        .build()));
    }
}
