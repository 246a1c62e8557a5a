package org.segmentbridge.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The bridge as a separate operating-system process, so a test can kill it the way a crash would. */
public final class BridgeProcess implements AutoCloseable {

    /** bin/segment-bridge's default JVM options (its {@code BRIDGE_JVM_OPTIONS} fallback). */
    private static final List<String> LAUNCHER_OPTIONS = launcherOptions();

    private final Process process;
    private final Path output;
    private final int managementPort;

    private BridgeProcess(Process process, Path output, int managementPort) {
        this.process = process;
        this.output = output;
        this.managementPort = managementPort;
    }

    /**
     * @param command     the JVM command line
     * @param workingDir  the folder it runs in (it reads application.properties and routes/ there)
     * @param environment variables set for it; every inherited BRIDGE_* / SEGMENT_* variable is removed first
     */
    public static BridgeProcess launch(List<String> command, Path workingDir, Map<String, String> environment, int managementPort)
            throws IOException {
        Path output = TestFolders.create("bridge-process-").resolve("output.log");
        ProcessBuilder builder = new ProcessBuilder(command).directory(workingDir.toFile())
                .redirectErrorStream(true).redirectOutput(output.toFile());
        builder.environment().keySet().removeIf(name -> name.startsWith("BRIDGE_") || name.startsWith("SEGMENT_"));
        builder.environment().putAll(environment);
        return new BridgeProcess(builder.start(), output, managementPort);
    }

    /**
     * Java with bin/segment-bridge's default options, read from the launcher so that they cannot drift: a bounded heap,
     * the serial collector and the quick compiler alone (ToolsTest, whose tests each start one, took 73 and 120 s with
     * the quick compiler against 99 and 169 s without), running the compiled classes on this test's class path, with
     * the bridge's arguments.
     */
    public static List<String> javaOnTestClassPath(String... arguments) {
        List<String> command = new java.util.ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(LAUNCHER_OPTIONS);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "org.segmentbridge.Bridge"));
        command.addAll(List.of(arguments));
        return command;
    }

    /** The same, with {@code temporary} as its temporary folder ({@code java.io.tmpdir}): to see what the process leaves there. */
    public static List<String> javaOnTestClassPath(Path temporary, String... arguments) {
        List<String> command = new java.util.ArrayList<>(javaOnTestClassPath(arguments));
        command.add(1, "-Djava.io.tmpdir=" + temporary);
        return command;
    }

    /** A command that runs to its end (a tool): its exit code and everything it printed. */
    public record Finished(int exitCode, String output) {
    }

    public static Finished runToEnd(List<String> command, Path workingDir, Map<String, String> environment) throws IOException {
        try (BridgeProcess process = launch(command, workingDir, environment, 0)) {
            if (!process.process.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
                throw new IllegalStateException("the command did not end within 60 s:\n" + process.output());
            }
            return new Finished(process.process.exitValue(), process.output());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The process's command line as the operating system has it now (after an exec, the program exec'd). */
    public String commandLine() {
        return process.info().commandLine().orElseThrow(() -> new IllegalStateException("the command line of pid "
                + process.pid() + " cannot be read"));
    }

    /** @return how long it took until /observe/health answered 200 */
    public Duration awaitHealthy(Duration timeout) {
        HttpClient client = TestHttp.client(Duration.ofSeconds(5));
        long start = System.nanoTime();
        while (System.nanoTime() - start < timeout.toNanos()) {
            if (!process.isAlive()) {
                throw new IllegalStateException("bridge process exited with " + process.exitValue() + ":\n" + output());
            }
            try {
                HttpResponse<String> response = client.send(HttpRequest.newBuilder(
                        URI.create("http://localhost:" + managementPort + "/observe/health")).GET().build(),
                        HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200) {
                    return Duration.ofNanos(System.nanoTime() - start);
                }
            } catch (IOException notYetListening) {
                // retry until the deadline
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            RunningBridge.sleep(50);
        }
        throw new IllegalStateException("bridge process not healthy within " + timeout + ":\n" + output());
    }

    /** Waits for the process to end by itself; its exit code, or empty when it still runs after {@code timeout}. */
    public java.util.OptionalInt awaitExit(Duration timeout) throws InterruptedException {
        return process.waitFor(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
                ? java.util.OptionalInt.of(process.exitValue()) : java.util.OptionalInt.empty();
    }

    public long pid() {
        return process.pid();
    }

    /** SIGTERM, as an orchestrator stops a process: the bridge stops by itself (see {@link #awaitExit}). */
    public void terminate() {
        process.destroy();
    }

    /** SIGKILL: no shutdown hook, no flush, exactly like a crash or an OOM kill. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    public String output() {
        try {
            return Files.readString(output);
        } catch (IOException e) {
            return "(output unreadable: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill();
        }
    }

    private static List<String> launcherOptions() {
        try {
            Matcher fallback = Pattern.compile("\\$\\{BRIDGE_JVM_OPTIONS:-([^}]*)}")
                    .matcher(Files.readString(Path.of("bin", "segment-bridge")));
            if (!fallback.find()) {
                throw new IllegalStateException("bin/segment-bridge names no default BRIDGE_JVM_OPTIONS");
            }
            return List.of(fallback.group(1).trim().split("\\s+"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
