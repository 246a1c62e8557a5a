package org.segmentbridge.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Debian's Chromium, headless: loads a page, lets it run for a while of page time and returns the DOM it ended with;
 * or, for tests that drive it through WebDriver, the browser and Debian's chromedriver with the same flags.
 * {@code bash .ci/run} installs both; a missing one fails the test with how to get it, never skips it.
 */
public final class Chromium {

    private static final List<String> BINARIES = List.of("/usr/bin/chromium", "/usr/bin/chromium-browser");
    /** Debian's chromium-driver, for WebDriver tests: never one Selenium Manager would download. */
    private static final Path DRIVER = Path.of("/usr/bin/chromedriver");
    /** The flags every test browser starts with: headless, as root, and talking to nothing but the page. */
    public static final List<String> FLAGS = List.of("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage");

    private Chromium() {
    }

    /**
     * @param pageTime how long the page may run, in its own (virtual) time: Chromium waits for network fetches in
     *                 flight and skips idle time, so timers and retries pass quickly
     */
    public static String domAfter(String url, Duration pageTime) {
        Path binary = binary();
        try {
            Path profile = TestFolders.create("chromium-profile-");
            List<String> command = new java.util.ArrayList<>(List.of(binary.toString()));
            command.addAll(FLAGS);
            command.addAll(List.of("--user-data-dir=" + profile, "--virtual-time-budget=" + pageTime.toMillis(), "--dump-dom", url));
            Process chromium = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            byte[] dom = chromium.getInputStream().readAllBytes();
            if (!chromium.waitFor(60, TimeUnit.SECONDS)) {
                chromium.destroyForcibly();
                throw new AssertionError("Chromium did not finish within 60 s on " + url);
            }
            return new String(dom, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("could not run Chromium", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Debian's Chromium; a test without it fails, saying how to install it. */
    public static Path binary() {
        return BINARIES.stream().map(Path::of).filter(Files::isExecutable).findFirst().orElseThrow(() ->
                new AssertionError("Chromium is not installed (looked for " + BINARIES + "): run 'bash .ci/run', "
                        + "or 'apt-get install -y chromium'"));
    }

    /** Debian's chromedriver for {@link #binary()}; a test without it fails, saying how to install it. */
    public static Path driver() {
        binary();
        if (!Files.isExecutable(DRIVER)) {
            throw new AssertionError("chromedriver is not installed (looked for " + DRIVER + "): run 'bash .ci/run', "
                    + "or 'apt-get install -y chromium-driver'");
        }
        return DRIVER;
    }
}
