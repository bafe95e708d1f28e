package io.shopevents.api;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.apache.camel.Processor;
import org.apache.camel.component.platform.http.PlatformHttpEndpoint;
import org.apache.camel.component.platform.http.spi.PlatformHttpConsumer;
import org.apache.camel.component.platform.http.spi.PlatformHttpEngine;
import org.apache.camel.component.platform.http.springboot.SpringBootPlatformHttpConsumer;
import org.apache.camel.component.platform.http.springboot.SpringBootPlatformHttpEngine;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.util.concurrent.CompletableFuture;

/**
 * Runs each REST route on the servlet container's own request thread. Camel's Spring Boot
 * platform-http engine hands every call to a task pool and answers it through an asynchronous
 * servlet dispatch, which sends the call through the whole filter chain (security included) a
 * second time; that hand-off was the largest single cost of a call (bench/README.md). Here the
 * route runs where the filters ran, so the caller's security context and correlation id are
 * simply there, and Tomcat's thread pool (server.tomcat.threads.max) bounds the calls in flight.
 */
@Configuration(proxyBeanMethods = false)
class SynchronousPlatformHttp {

    /** Replaces the engine Camel's starter would create (it backs off when one exists). */
    @Bean(name = "platform-http-engine")
    PlatformHttpEngine synchronousPlatformHttpEngine(@Value("${server.port:8080}") int port) {
        return new SpringBootPlatformHttpEngine(port) {
            @Override
            public PlatformHttpConsumer createConsumer(PlatformHttpEndpoint endpoint, Processor processor) {
                return new OnRequestThread(endpoint, processor);
            }
        };
    }

    /** The consumer Spring MVC calls for a route's path: processes the call before it returns. */
    static final class OnRequestThread extends SpringBootPlatformHttpConsumer {

        private static final Logger log = LoggerFactory.getLogger(OnRequestThread.class);

        OnRequestThread(PlatformHttpEndpoint endpoint, Processor processor) {
            super(endpoint, processor, Runnable::run);
        }

        /** Null: Spring MVC takes the call as handled; the response has been written. */
        @Override
        public CompletableFuture<Void> service(HttpServletRequest request, HttpServletResponse response) {
            try {
                handleService(request, response);
            } catch (Exception e) {
                // the routes answer every failure themselves (rest-calls); this is a fault of ours
                log.error("REST call {} {} failed outside its route", request.getMethod(), request.getRequestURI(), e);
                if (!response.isCommitted()) {
                    try {
                        response.sendError(500); // answered as problem+json (ProblemErrorController)
                    } catch (java.io.IOException ignored) {
                        // the client has gone
                    }
                }
            }
            return null;
        }
    }
}
