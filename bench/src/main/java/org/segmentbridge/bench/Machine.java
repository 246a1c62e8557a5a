package org.segmentbridge.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** What the figures were measured on. */
final class Machine {

    private Machine() {
    }

    static String describe(boolean wrk) {
        return Runtime.getRuntime().availableProcessors() + " cores (nproc), " + cpuModel() + ", " + memory() + " RAM; "
                + javaVersion() + "; load generator: " + (wrk ? wrkVersion() + " with " + Intake.WRK_THREADS + " threads"
                : "the Java closed loop (wrk not installed)") + ", on the same cores";
    }

    static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(line -> line.startsWith("model name"))
                    .map(line -> line.substring(line.indexOf(':') + 1).trim()).findFirst().orElse("unknown CPU");
        } catch (IOException e) {
            return "unknown CPU";
        }
    }

    static String memory() {
        try {
            return Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(line -> line.startsWith("MemTotal"))
                    .map(line -> String.format("%.1f GiB", Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0 / 1024.0))
                    .findFirst().orElse("?");
        } catch (IOException e) {
            return "?";
        }
    }

    static String javaVersion() {
        return firstLine(List.of(BenchRun.javaBinary(), "-version"));
    }

    static String wrkVersion() {
        String line = firstLine(List.of("wrk", "-v"));
        return line.isEmpty() ? "wrk" : line.replaceAll("\\s*\\[.*", "").replaceAll(" Copyright.*", "");
    }

    private static String firstLine(List<String> command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String text = new String(process.getInputStream().readAllBytes());
            process.waitFor();
            return text.lines().findFirst().orElse("").trim();
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }
}
