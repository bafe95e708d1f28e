package io.shopevents.routes;

import io.shopevents.api.Admission;
import org.apache.camel.CamelContext;
import org.apache.camel.spring.boot.CamelContextConfiguration;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Live reloading of the YAML routes under shop.routes.dir when shop.routes.reload is on (the
 * local profile): an integrator saves a file and the running application picks it up.
 */
@Configuration
@ConditionalOnProperty(name = "shop.routes.reload", havingValue = "true")
public class RouteReload {

    @Bean
    CamelContextConfiguration checkedRouteReload(@Value("${shop.routes.dir}") String directory, Admission admission,
                                                 RouteFilesStatus status) {
        return new CamelContextConfiguration() {
            @Override
            public void beforeApplicationStart(CamelContext camelContext) {
                try {
                    camelContext.addService(new CheckedRouteReloadStrategy(directory, admission, status));
                    status.reloading();
                } catch (Exception e) {
                    throw new IllegalStateException("cannot watch " + directory + " for route changes", e);
                }
            }

            @Override
            public void afterApplicationStart(CamelContext camelContext) {
                // nothing: the strategy starts with the context
            }
        };
    }
}
