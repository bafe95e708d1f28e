package io.shopevents.routes;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Route files are named *.camel.yaml (what Kaoto and the Camel tooling for VS Code recognise). A
 * plain *.yaml file in the routes folder, such as one written for an older version, is not loaded:
 * say so at start, instead of leaving an integrator to wonder where their route went.
 */
@Component
public class RouteFileNames {

    private static final Logger log = LoggerFactory.getLogger(RouteFileNames.class);

    public RouteFileNames(@Value("${shop.routes.dir}") Path directory) throws IOException {
        if (!Files.isDirectory(directory)) {
            log.warn("the routes folder {} does not exist: no route files are loaded", directory.toAbsolutePath());
            return;
        }
        try (Stream<Path> files = Files.list(directory)) {
            List<String> ignored = files.map(f -> f.getFileName().toString())
                    .filter(name -> (name.endsWith(".yaml") || name.endsWith(".yml"))
                            && !name.endsWith(CheckedRouteReloadStrategy.SUFFIX))
                    .sorted().toList();
            if (!ignored.isEmpty()) {
                log.warn("not loaded from {}: {}; route files are named <name>{}: rename them to load them",
                        directory, ignored, CheckedRouteReloadStrategy.SUFFIX);
            }
        }
    }
}
