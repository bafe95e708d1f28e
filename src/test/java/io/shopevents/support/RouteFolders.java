package io.shopevents.support;

import org.springframework.util.FileSystemUtils;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

/** Copies of routes/ that a test may change without touching the shipped files. */
public final class RouteFolders {

    private RouteFolders() {
    }

    /**
     * A fresh copy of routes/ under target/, named after the test; a relative path, as routes/ is
     * by default, so both spellings of a file's path meet.
     */
    public static Path copyOfTheRoutes(String name) {
        try {
            Path copy = Path.of("target", name + "-" + UUID.randomUUID(), "routes");
            Files.createDirectories(copy);
            FileSystemUtils.copyRecursively(Path.of("routes"), copy);
            return copy;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
