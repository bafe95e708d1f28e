package io.shopevents.routes;

import org.apache.camel.CamelContext;
import org.apache.camel.Route;
import org.apache.camel.model.Model;
import org.apache.camel.model.RouteConfigurationDefinition;
import org.apache.camel.spi.Resource;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.apache.camel.support.RouteWatcherReloadStrategy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Live reloading of the YAML route files, on Camel's file watcher, made safe for integrators:
 * <ul>
 * <li>a changed file is checked first ({@link RouteFileCheck}: the YAML DSL schema and Camel's
 * loader); a file with an error is refused with a log line naming file and line, and no running
 * route is touched;</li>
 * <li>a file that passes is applied on top of the files the running routes came from, and the
 * whole set is loaded again (so REST definitions and route configurations are not doubled);</li>
 * <li>if the new set fails to start (an unknown bean, say), the set that ran before is put back.</li>
 * </ul>
 * Camel's own reload would stop every route first and, on any error, leave none running.
 */
public class CheckedRouteReloadStrategy extends RouteWatcherReloadStrategy {

    private static final Logger log = LoggerFactory.getLogger(CheckedRouteReloadStrategy.class);

    private final Path directory;
    private RouteFileCheck check;
    /** The route files as they were when the running routes were loaded from them. */
    private Map<Path, String> running;
    /** Each route file as it was at the last change handled, refused or not. */
    private final Map<Path, String> lastSeen = new HashMap<>();

    public CheckedRouteReloadStrategy(String directory) {
        super(directory, false);
        // one spelling of every path: the watcher reports absolute ones, the folder may be relative
        this.directory = Path.of(directory).toAbsolutePath().normalize();
        setPattern("*.yaml");
    }

    @Override
    protected void doStart() throws Exception {
        running = readRouteFiles();
        lastSeen.putAll(running);
        super.doStart();
    }

    @Override
    protected synchronized void onRouteReload(Collection<Resource> changed, boolean removeEverything) {
        // the changes on top of what runs: a change refused or failed before stays out, and does
        // not hold up changes to other files
        Map<Path, String> next = new TreeMap<>(running);
        List<Path> files = new ArrayList<>();
        for (Path file : files(changed)) {
            String content = read(file);
            if (content.isBlank()) {
                continue; // an editor truncates before it writes; the write comes as its own change
            }
            if (!content.equals(lastSeen.put(file, content))) {
                files.add(file);
                next.put(file, content);
            }
        }
        if (files.isEmpty()) {
            return; // the watcher reports a save more than once; this one has been handled
        }
        List<String> problems = new ArrayList<>();
        for (Path file : files) {
            problems.addAll(check().problems(file));
        }
        if (!problems.isEmpty()) {
            log.error("Route file refused, the running routes stay as they are:\n    {}", String.join("\n    ", problems));
            return;
        }
        try {
            replaceRoutes(next);
            running = next;
            log.info("Routes reloaded after a change to {}: {} routes running", files, getCamelContext().getRoutes().size());
        } catch (Exception e) {
            try {
                replaceRoutes(running);
                log.error("Routes from {} failed to start ({}); put back the routes that ran before: {} routes running",
                        files, rootCause(e), getCamelContext().getRoutes().size());
            } catch (Exception again) {
                log.error("Routes from {} failed to start ({}), and so did the routes that ran before; restart the application",
                        files, rootCause(e), again);
            }
        }
    }

    /** Removes every route, REST definition and route configuration loaded from a file, then loads the given files. */
    private void replaceRoutes(Map<Path, String> files) throws Exception {
        CamelContext camel = getCamelContext();
        Model model = camel.getCamelContextExtension().getContextPlugin(Model.class);
        for (Route route : List.copyOf(camel.getRoutes())) {
            // the OpenAPI document's route stays: Camel makes it once, and it reads the REST definitions live
            if (route.getSourceResource() != null && !route.getEndpoint().getEndpointUri().startsWith("rest-api:")) {
                camel.getRouteController().stopRoute(route.getRouteId());
                camel.removeRoute(route.getRouteId());
            }
        }
        model.getRestDefinitions().clear();
        for (RouteConfigurationDefinition configuration : List.copyOf(model.getRouteConfigurationDefinitions())) {
            model.removeRouteConfiguration(configuration);
        }
        List<Resource> resources = new ArrayList<>();
        files.forEach((file, content) -> resources.add(ResourceHelper.fromString("file:" + file, content)));
        PluginHelper.getRoutesLoader(camel).loadRoutes(resources);
    }

    private Map<Path, String> readRouteFiles() {
        try (Stream<Path> list = Files.list(directory)) {
            Map<Path, String> files = new TreeMap<>();
            for (Path file : list.filter(f -> f.getFileName().toString().endsWith(".yaml"))
                    .map(f -> f.toAbsolutePath().normalize()).toList()) {
                files.put(file, read(file));
            }
            return files;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the route files in " + directory, e);
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    private static List<Path> files(Collection<Resource> resources) {
        return resources.stream()
                .filter(r -> r != null && "file".equals(r.getURI().getScheme()))
                .map(r -> Path.of(r.getURI()).toAbsolutePath().normalize())
                .filter(Files::exists)
                .toList();
    }

    private static String rootCause(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage();
    }

    /** Loading the DSL schema takes a second: only when the first file changes. */
    private RouteFileCheck check() {
        if (check == null) {
            check = new RouteFileCheck();
        }
        return check;
    }
}
