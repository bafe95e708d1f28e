package io.shopevents.api;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangePattern;
import org.apache.camel.Processor;
import org.apache.camel.component.platform.http.PlatformHttpEndpoint;
import org.apache.camel.component.platform.http.spi.PlatformHttpConsumer;
import org.apache.camel.component.platform.http.spi.PlatformHttpEngine;
import org.apache.camel.component.platform.http.springboot.PlatformHttpMessage;
import org.apache.camel.component.platform.http.springboot.SpringBootPlatformHttpBinding;
import org.apache.camel.component.platform.http.springboot.SpringBootPlatformHttpConsumer;
import org.apache.camel.component.platform.http.springboot.SpringBootPlatformHttpEngine;
import org.apache.camel.http.common.HttpBinding;
import org.apache.camel.http.common.HttpHelper;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.util.concurrent.CompletableFuture;

/**
 * Serves the REST routes without holding a thread while a call waits: for its body (read as it
 * arrives, {@link ApiCall}) or for the broker's confirm of its event (the route goes on when the
 * confirm completes, EventPublisher). Each call runs asynchronously in the servlet container and is
 * answered when its route is done, without a second pass through the filter chain (Camel's own
 * Spring Boot engine hands every call to a task pool and answers through an asynchronous dispatch,
 * which sends it through the whole chain, security included, again).
 */
@Configuration(proxyBeanMethods = false)
class AsyncPlatformHttp {

    /** Replaces the engine Camel's starter would create (it backs off when one exists). */
    @Bean(name = "platform-http-engine")
    PlatformHttpEngine asyncPlatformHttpEngine(@Value("${server.port:8080}") int port, ApiCalls calls) {
        return new SpringBootPlatformHttpEngine(port) {
            @Override
            public PlatformHttpConsumer createConsumer(PlatformHttpEndpoint endpoint, Processor processor) {
                return new AsyncConsumer(endpoint, processor, calls);
            }
        };
    }

    /** The consumer Spring MVC calls for a route's path. */
    static final class AsyncConsumer extends SpringBootPlatformHttpConsumer {

        private final ApiCalls calls;
        private final HttpBinding binding;

        AsyncConsumer(PlatformHttpEndpoint endpoint, Processor processor, ApiCalls calls) {
            super(endpoint, processor, Runnable::run);
            this.calls = calls;
            // as the consumer Camel would make configures its own
            this.binding = new SpringBootPlatformHttpBinding();
            binding.setHeaderFilterStrategy(endpoint.getHeaderFilterStrategy());
            binding.setMuteException(endpoint.isMuteException());
            binding.setFileNameExtWhitelist(endpoint.getFileNameExtWhitelist());
            binding.setUseReaderForPayload(!endpoint.isUseStreaming());
        }

        /** Null: Spring MVC takes the call as handled; it is answered when its route is done. */
        @Override
        public CompletableFuture<Void> service(HttpServletRequest request, HttpServletResponse response) {
            calls.start(this, request, response);
            return null;
        }

        /** Runs the route for an admitted call whose body (if any) has been read; the call is answered when it is done. */
        void process(ApiCall call, HttpServletRequest request, HttpServletResponse response) {
            if (isSuspended()) {
                call.finishWithoutExchange(503, "the service is stopping or reloading its routes; retry in a second");
                return;
            }
            Exchange exchange = createExchange(true);
            exchange.setPattern(ExchangePattern.InOut);
            HttpHelper.setCharsetFromContentType(request.getContentType(), exchange);
            PlatformHttpMessage message = new PlatformHttpMessage(request, response, exchange, binding, false);
            exchange.setIn(message);
            message.init(exchange, binding, request, response);
            call.prepare(exchange);
            try {
                createUoW(exchange);
            } catch (Exception e) {
                releaseExchange(exchange, false);
                call.finishWithoutExchange(503, "the service cannot take calls now; retry in a second");
                return;
            }
            getAsyncProcessor().process(exchange, doneSync -> call.finish(exchange, write -> respond(exchange, response, write)));
        }

        /** Writes the route's answer (unless the call was answered already); afterwards the exchange is done with. */
        private void respond(Exchange exchange, HttpServletResponse response, boolean write) {
            try {
                if (write) {
                    binding.writeResponse(exchange, response);
                }
            } catch (Exception e) {
                getExceptionHandler().handleException("failed writing the answer to " + getEndpoint().getPath(), e);
            } finally {
                doneUoW(exchange);
                releaseExchange(exchange, false);
            }
        }
    }
}
