package io.shopevents.routes;

import io.shopevents.api.Admission;
import org.apache.camel.CamelContext;
import org.apache.camel.CamelContextAware;
import org.apache.camel.Route;
import org.apache.camel.component.kamelet.KameletEndpoint;
import org.apache.camel.processor.SendProcessor;
import org.apache.camel.model.Model;
import org.apache.camel.model.RouteConfigurationDefinition;
import org.apache.camel.spi.Resource;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Live reloading of the route files (*.camel.yaml) in the routes folder, made safe for integrators:
 * <ul>
 * <li>a file that is added, changed or removed is noticed (a removed subscription file stops that
 * subscription);</li>
 * <li>an added or changed file is checked first ({@link RouteFileCheck}: the YAML DSL schema and
 * Camel's loader), and so is every route id it declares: one that another file's route (or any
 * running route) has is refused, as two routes with one id would silently replace each other. A
 * refused file is logged naming file and line, shown at GET /api/route-files, and no running route
 * is touched;</li>
 * <li>only the routes of the files that changed are replaced: a subscription's file reloads that
 * subscription, and the REST API goes on serving. A file with REST definitions or route
 * configurations (which other files' routes use) reloads the whole set; meanwhile, a second or so,
 * the API refuses calls with 503 and Retry-After (the calls in flight finish first). A file whose
 * routes other routes call (direct:, as the API's publishing steps) is replaced alone, with the
 * API refusing the same way: a call must never find its next route gone;</li>
 * <li>if the new routes fail to start (an unknown bean, say), the ones that ran before are put back.</li>
 * </ul>
 * Camel's own reload watches changed and created files only, stops every route first and, on any
 * error, leaves none running.
 */
public class CheckedRouteReloadStrategy extends ServiceSupport implements CamelContextAware {

    private static final Logger log = LoggerFactory.getLogger(CheckedRouteReloadStrategy.class);
    public static final String SUFFIX = ".camel.yaml";
    /** Editors save in steps (truncate, write, rename): changes this close together are one change. */
    private static final long SETTLE_MS = 300;

    private final Path directory;
    private final Admission admission;
    private final RouteFilesStatus status;
    private CamelContext camelContext;
    private RouteFileCheck check;
    private WatchService watcher;
    private Thread thread;
    /** The route files as they were when the running routes were loaded from them. */
    private Map<Path, String> running;
    /** Each route file as it was at the last change handled, refused or not. */
    private Map<Path, String> lastSeen;
    /** Files without problems of their own that came in a change refused for another file's. */
    private final java.util.Set<Path> refusedAlong = new java.util.HashSet<>();

    public CheckedRouteReloadStrategy(String directory, Admission admission, RouteFilesStatus status) {
        // one spelling of every path: the watcher reports absolute ones, the folder may be relative
        this.directory = Path.of(directory).toAbsolutePath().normalize();
        this.admission = admission;
        this.status = status;
    }

    @Override
    public void setCamelContext(CamelContext camelContext) {
        this.camelContext = camelContext;
    }

    @Override
    public CamelContext getCamelContext() {
        return camelContext;
    }

    @Override
    protected void doStart() throws Exception {
        running = readRouteFiles();
        lastSeen = new TreeMap<>(running);
        watcher = FileSystems.getDefault().newWatchService();
        directory.register(watcher, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
                StandardWatchEventKinds.ENTRY_DELETE);
        thread = new Thread(this::watch, "CheckedRouteReloadStrategy");
        thread.setDaemon(true);
        thread.start();
        log.info("Live route reloading enabled (directory: {})", directory);
    }

    @Override
    protected void doStop() throws Exception {
        if (watcher != null) {
            watcher.close();
        }
        if (thread != null) {
            thread.join(5000);
        }
    }

    private void watch() {
        try {
            while (isRunAllowed()) {
                WatchKey key = watcher.take();
                // let an editor finish its save, then take every change that came with it
                do {
                    key.pollEvents();
                    key.reset();
                } while ((key = watcher.poll(SETTLE_MS, TimeUnit.MILLISECONDS)) != null);
                try {
                    onChange();
                } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
                    // one change that could not be taken (a file nested too deep, a heap too small for
                    // this check) must not end the watching: the next save is taken again
                    log.error("Route files could not be reloaded: {}; the running routes stay, and the next change"
                            + " is taken again", e, e);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ClosedWatchServiceException e) {
            // stopped
        }
    }

    /** Compares the folder with the last files seen, checks what was added or changed, and reloads. */
    synchronized void onChange() {
        Map<Path, String> now = readRouteFiles();
        List<Path> changed = new ArrayList<>();
        List<Path> removed = new ArrayList<>();
        now.forEach((file, content) -> {
            if (!content.isBlank() && !content.equals(lastSeen.get(file))) {
                changed.add(file);
            }
        });
        lastSeen.keySet().stream().filter(file -> !now.containsKey(file)).forEach(removed::add);
        // a file that went while a change was refused is still running: its removal is due now
        running.keySet().stream().filter(file -> !now.containsKey(file) && !removed.contains(file)).forEach(removed::add);
        // a file without problems of its own that came in a refused change goes in with the next one
        refusedAlong.stream().filter(file -> now.containsKey(file) && !changed.contains(file)
                && !now.get(file).equals(running.get(file))).forEach(changed::add);
        refusedAlong.clear();
        now.forEach((file, content) -> {
            // an editor truncates before it writes; the write comes as its own change
            if (!content.isBlank()) {
                lastSeen.put(file, content);
            }
        });
        removed.forEach(lastSeen::remove);
        if (changed.isEmpty() && removed.isEmpty()) {
            return;
        }
        // the changes on top of what runs: a change refused or failed before stays out, and does not
        // hold up changes to other files
        Map<Path, String> next = new TreeMap<>(running);
        changed.forEach(file -> next.put(file, now.get(file)));
        removed.forEach(next::remove);
        List<String> problems = new ArrayList<>();
        for (Path file : changed) {
            problems.addAll(check().problems(file));
        }
        List<Path> files = new ArrayList<>(changed);
        files.addAll(removed);
        if (problems.isEmpty()) {
            problems.addAll(idsTaken(changed, files, next));
        }
        if (!problems.isEmpty()) {
            changed.stream().filter(file -> problems.stream().noneMatch(p -> p.startsWith(file + ":")))
                    .forEach(refusedAlong::add);
            status.refused(files, problems);
            log.error("Route file refused, the running routes stay as they are:\n    {}", String.join("\n    ", problems));
            return;
        }
        boolean wholeSet = files.stream().anyMatch(file -> holdsMoreThanRoutes(running.get(file)) || holdsMoreThanRoutes(next.get(file)));
        boolean gated = wholeSet || files.stream().anyMatch(file -> calledByOthers(running.get(file)) || calledByOthers(next.get(file)));
        try {
            replace(files, next, wholeSet, gated);
            running = next;
            status.applied(files);
            log.info("Routes reloaded after a change to {}{}: {} routes running", files, wholeSet ? " (all files: it holds"
                    + " REST definitions or route configurations)" : "", camelContext.getRoutes().size());
            if (!removed.isEmpty()) {
                log.info("Route files removed: {}; their routes are stopped (a subscription's queue stays, and keeps"
                        + " collecting its events: delete it when it is no longer wanted)", removed);
            }
        } catch (Exception e) {
            status.refused(files, List.of("failed to start: " + rootCause(e)));
            try {
                replace(files, running, wholeSet, gated);
                log.error("Routes from {} failed to start ({}); put back the routes that ran before: {} routes running",
                        files, rootCause(e), camelContext.getRoutes().size());
            } catch (Exception again) {
                log.error("Routes from {} failed to start ({}), and so did the routes that ran before; restart the application",
                        files, rootCause(e), again);
            }
        }
    }

    /** Every route id a changed file declares that a route of another file (or any running route) has. */
    private List<String> idsTaken(List<Path> changed, List<Path> replaced, Map<Path, String> next) {
        Map<String, String> owners = new java.util.HashMap<>();
        for (Route route : camelContext.getRoutes()) {
            if (route.isCreatedByKamelet()) {
                // its id is made up from its parent's; its parent stands for it
                continue;
            }
            Path file = fileOf(route);
            if (file == null || !replaced.contains(file)) {
                owners.put(route.getRouteId(), file == null ? "a route of the application itself" : file.toString());
            }
        }
        next.forEach((file, content) -> {
            if (!changed.contains(file)) {
                check().contents(content).routeIds().keySet().forEach(id -> owners.putIfAbsent(id, file.toString()));
            }
        });
        List<String> problems = new ArrayList<>();
        // one subscription, one file: a second consumer of its queue would fail to start, and take the first with it
        Map<String, Path> consumers = new java.util.HashMap<>();
        next.forEach((file, content) -> {
            if (!changed.contains(file)) {
                check().contents(content).subscriptions().keySet().forEach(name -> consumers.putIfAbsent(name, file));
            }
        });
        for (Path file : changed) {
            check().contents(next.get(file)).subscriptions().forEach((name, line) -> {
                Path owner = consumers.putIfAbsent(name, file);
                if (owner != null && !owner.equals(file)) {
                    problems.add(file + ":" + line + ": subscription '" + name + "' is consumed by " + owner
                            + " already; a subscription is one route in one file");
                }
            });
        }
        for (Path file : changed) {
            check().contents(next.get(file)).routeIds().forEach((id, line) -> {
                String owner = owners.putIfAbsent(id, file.toString());
                if (owner != null && !owner.equals(file.toString())) {
                    problems.add(file + ":" + line + ": route id '" + id + "' is taken by " + owner
                            + "; every route needs an id of its own (two with one id would replace each other)");
                }
            });
        }
        return problems;
    }

    private boolean holdsMoreThanRoutes(String content) {
        return content != null && check().contents(content).restOrConfiguration();
    }

    private boolean calledByOthers(String content) {
        return content != null && check().contents(content).calledByOtherRoutes();
    }

    private void replace(List<Path> files, Map<Path, String> set, boolean wholeSet, boolean gated) throws Exception {
        if (!gated) {
            replaceFiles(files, set);
            return;
        }
        underGate(() -> {
            if (wholeSet) {
                replaceRoutes(set);
            } else {
                replaceFiles(files, set);
            }
        });
    }

    private interface Replacement {
        void run() throws Exception;
    }

    /** Replaces the routes of these files only: stops and removes their routes, then loads their files as they are in the set. */
    private void replaceFiles(List<Path> files, Map<Path, String> set) throws Exception {
        List<String> going = new ArrayList<>();
        for (Route route : camelContext.getRoutes()) {
            if (files.contains(fileOf(route))) {
                going.add(route.getRouteId());
                going.addAll(kameletRoutesOf(route));
            }
        }
        for (String id : going) {
            if (camelContext.getRoute(id) != null) {
                camelContext.getRouteController().stopRoute(id);
                camelContext.removeRoute(id);
            }
        }
        List<Resource> resources = new ArrayList<>();
        for (Path file : files) {
            if (set.containsKey(file)) {
                resources.add(ResourceHelper.fromString("file:" + file, set.get(file)));
            }
        }
        if (!resources.isEmpty()) {
            PluginHelper.getRoutesLoader(camelContext).loadRoutes(resources);
        }
    }

    /**
     * With the API refusing calls meanwhile (503, Retry-After) rather than finding its routes half
     * gone; the calls in flight finish first.
     */
    private void underGate(Replacement replacement) throws Exception {
        admission.pause("the service is reloading its routes");
        try {
            if (!admission.awaitIdle(java.time.Duration.ofSeconds(5))) {
                log.warn("calls still in flight after 5 s; reloading the routes anyway");
            }
            replacement.run();
        } finally {
            admission.resume();
        }
    }

    /**
     * The routes Kamelets made for this route (its source, its sinks): they go with it, or the old
     * source would go on consuming beside the new one.
     */
    private static List<String> kameletRoutesOf(Route route) {
        List<String> ids = new ArrayList<>();
        if (route.getEndpoint() instanceof KameletEndpoint source) {
            ids.add(source.getRouteId());
        }
        for (org.apache.camel.Processor step : route.filter("*")) {
            if (step instanceof SendProcessor send && send.getDestination() instanceof KameletEndpoint sink) {
                ids.add(sink.getRouteId());
            }
        }
        return ids;
    }

    /** The route file a route was loaded from; null for a route of the application itself (or a Kamelet's). */
    private static Path fileOf(Route route) {
        Resource source = route.getSourceResource();
        if (source == null || source.getLocation() == null) {
            return null;
        }
        String location = source.getLocation();
        location = location.startsWith("file:") ? location.substring("file:".length()) : location;
        try {
            return Path.of(location).toAbsolutePath().normalize();
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** Removes every route, REST definition and route configuration loaded from a file, then loads the given files. */
    private void replaceRoutes(Map<Path, String> files) throws Exception {
        Model model = camelContext.getCamelContextExtension().getContextPlugin(Model.class);
        for (Route route : List.copyOf(camelContext.getRoutes())) {
            // the OpenAPI document's route stays: Camel makes it once, and it reads the REST definitions live
            if ((route.getSourceResource() != null || route.isCreatedByKamelet())
                    && !route.getEndpoint().getEndpointUri().startsWith("rest-api:")
                    && camelContext.getRoute(route.getRouteId()) != null) {
                camelContext.getRouteController().stopRoute(route.getRouteId());
                camelContext.removeRoute(route.getRouteId());
            }
        }
        model.getRestDefinitions().clear();
        for (RouteConfigurationDefinition configuration : List.copyOf(model.getRouteConfigurationDefinitions())) {
            model.removeRouteConfiguration(configuration);
        }
        List<Resource> resources = new ArrayList<>();
        files.forEach((file, content) -> resources.add(ResourceHelper.fromString("file:" + file, content)));
        PluginHelper.getRoutesLoader(camelContext).loadRoutes(resources);
    }

    private Map<Path, String> readRouteFiles() {
        try (Stream<Path> list = Files.list(directory)) {
            Map<Path, String> files = new TreeMap<>();
            for (Path file : list.filter(f -> f.getFileName().toString().endsWith(SUFFIX))
                    .map(f -> f.toAbsolutePath().normalize()).toList()) {
                String content = read(file);
                if (content != null) {
                    files.put(file, content);
                }
            }
            return files;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the route files in " + directory, e);
        }
    }

    /** The file's text, or null if it vanished meanwhile. */
    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (java.nio.file.NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    private static String rootCause(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return Objects.toString(root.getMessage(), root.getClass().getName());
    }

    /** Loading the DSL schema takes a second: only when the first file changes. */
    private RouteFileCheck check() {
        if (check == null) {
            check = new RouteFileCheck();
        }
        return check;
    }
}
