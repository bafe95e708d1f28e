package io.shopevents.routes;

import io.swagger.v3.oas.annotations.media.Schema;
import org.springframework.stereotype.Component;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/**
 * GET /api/route-files: what became of the last change to the route files, so that an integrator
 * sees a refused file (and why) without reading the log.
 */
@Component("routeFilesStatus")
public class RouteFilesStatus {

    @Schema(description = "A change to the route files and what became of it.")
    public record Change(
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) List<String> files,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED, allowableValues = {"APPLIED", "REFUSED"}) String outcome,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED, description = "Why it was refused, each naming file and line;"
                    + " empty when applied.") List<String> problems,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED, format = "date-time") String at) {
    }

    @Schema(description = "Whether route files are reloaded when they change, and what became of the last changes.")
    public record RouteFiles(
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) boolean reloading,
            @Schema(nullable = true, description = "The last change, applied or refused.") Change lastChange,
            @Schema(nullable = true, description = "The last change that was refused, and why.") Change lastRefused) {
    }

    private volatile boolean reloading;
    private volatile Change lastChange;
    private volatile Change lastRefused;

    void reloading() {
        reloading = true;
    }

    void applied(List<Path> files) {
        lastChange = new Change(names(files), "APPLIED", List.of(), Instant.now().toString());
    }

    void refused(List<Path> files, List<String> problems) {
        lastChange = new Change(names(files), "REFUSED", List.copyOf(problems), Instant.now().toString());
        lastRefused = lastChange;
    }

    public RouteFiles view() {
        return new RouteFiles(reloading, lastChange, lastRefused);
    }

    private static List<String> names(List<Path> files) {
        return files.stream().map(Path::toString).toList();
    }
}
