package org.segmentbridge.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.LongFunction;

import org.HdrHistogram.Histogram;

/**
 * The open-loop load generator: request {@code i} is due at {@code start + i / rate} whatever happened to the others
 * (no coordinated omission), and its answer time is measured from that due time. A due request waits for a free
 * connection in a queue, so time spent waiting for one is counted too.
 *
 * <p>One thread drives every connection through one selector with pre-encoded HTTP/1.1 requests and reads no more of
 * an answer than its status line, its length and its bytes. It shares the two cores with the bridge it measures, the
 * way wrk does in the closed loop: Vert.x' HTTP client, which this replaced, took 0.73 cores at 5,000 requests/s (a
 * request's objects, its futures, its parsed headers), where wrk takes about 0.18 at 8,000. Debian has no wrk2.
 */
final class OpenLoop {

    private static final byte[] HEADER_END = "\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    /**
     * Where a chunked answer ends: its last, empty chunk and no trailer (Camel's platform-http writes the bare route's
     * answer chunked). The answers this client reads are short JSON of the bridge's or the bare routes', which never
     * hold these bytes inside a chunk.
     */
    private static final byte[] LAST_CHUNK = "\r\n0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private final String host;
    private final int[] ports;
    private final int connectionsPerPort;
    private final String authorization;
    private final long unansweredAfterNanos;

    OpenLoop(String host, int[] ports, int connectionsPerPort, String authorization, long unansweredAfterMillis) {
        this.host = host;
        this.ports = ports.clone();
        this.connectionsPerPort = connectionsPerPort;
        this.authorization = authorization;
        this.unansweredAfterNanos = unansweredAfterMillis * 1_000_000L;
    }

    /** One request due at {@code dueNanos}; {@code index} is its place in the run. */
    private record Due(long index, long dueNanos, int tenth, byte[] bytes) {
    }

    /** A keep-alive connection to one port: idle, or carrying one request until its whole answer is read. */
    private final class Connection {
        final int port;
        /** The due requests for this connection's port, which any of its connections takes. */
        final ArrayDeque<Due> waiting;
        SocketChannel channel;
        SelectionKey key;
        Due carrying;
        long sentNanos;
        ByteBuffer toWrite;
        final ByteBuffer read = ByteBuffer.allocate(16 * 1024);

        Connection(int port, ArrayDeque<Due> waiting) {
            this.port = port;
            this.waiting = waiting;
        }

        void open(Selector selector) throws IOException {
            channel = SocketChannel.open();
            channel.configureBlocking(false);
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            boolean connected = channel.connect(new InetSocketAddress(host, port));
            key = channel.register(selector, connected ? 0 : SelectionKey.OP_CONNECT, this);
            read.clear();
        }

        boolean ready() {
            return carrying == null && channel.isConnected();
        }

        void send(Due due) throws IOException {
            carrying = due;
            sentNanos = System.nanoTime();
            toWrite = ByteBuffer.wrap(due.bytes());
            write();
        }

        void write() throws IOException {
            channel.write(toWrite);
            key.interestOps(toWrite.hasRemaining() ? SelectionKey.OP_WRITE : SelectionKey.OP_READ);
        }

        /** The status once the whole answer has arrived, or -1 while more is to come. */
        int readAnswer() throws IOException {
            if (channel.read(read) < 0) {
                throw new IOException("the server closed the connection");
            }
            byte[] bytes = read.array();
            int headerEnd = indexOf(bytes, 0, read.position(), HEADER_END);
            if (headerEnd < 0) {
                if (!read.hasRemaining()) {
                    throw new IOException("an answer's header is larger than " + read.capacity() + " bytes");
                }
                return -1;
            }
            String header = new String(bytes, 0, headerEnd, StandardCharsets.ISO_8859_1);
            int total;
            if (chunked(header)) {
                // From the header's last line break: an empty chunked body ends right after the header.
                int lastChunk = indexOf(bytes, headerEnd + 2, read.position(), LAST_CHUNK);
                if (lastChunk < 0) {
                    if (!read.hasRemaining()) {
                        throw new IOException("a chunked answer is larger than " + read.capacity() + " bytes");
                    }
                    return -1;
                }
                total = lastChunk + LAST_CHUNK.length;
            } else {
                total = headerEnd + HEADER_END.length + contentLength(header);
                if (total > read.capacity()) {
                    throw new IOException("an answer of " + total + " bytes is larger than this client reads");
                }
                if (read.position() < total) {
                    return -1;
                }
            }
            if (read.position() > total) {
                throw new IOException("the server sent more than one answer to one request");
            }
            read.clear();
            key.interestOps(0);
            carrying = null;
            return Integer.parseInt(header.substring(9, 12));
        }

        void close() {
            try {
                channel.close();
            } catch (IOException ignored) {
                // Closing a broken connection: it is replaced either way.
            }
        }
    }

    /** The open loop's outcome, in the form {@link Load.OpenLoopResult} keeps it. */
    Load.OpenLoopResult run(double perSecond, double seconds, long maxOutstanding, LongFunction<Load.Request> bodyAt)
            throws IOException {
        long count = Math.round(perSecond * seconds);
        long intervalNanos = Math.round(1e9 / perSecond);
        Histogram answers = new Histogram(3_600_000_000L, 3);
        AtomicLongArray worstByTenth = new AtomicLongArray((int) (count * intervalNanos / 100_000_000L) + 1);
        long ok = 0;
        long failed = 0;
        long shed = 0;
        long done = 0;
        long sendLagNanos = 0;
        int turn = 0;
        try (Selector selector = Selector.open()) {
            List<Connection> connections = new ArrayList<>();
            List<ArrayDeque<Due>> waiting = new ArrayList<>();
            for (int port : ports) {
                ArrayDeque<Due> forPort = new ArrayDeque<>();
                waiting.add(forPort);
                for (int i = 0; i < connectionsPerPort; i++) {
                    Connection connection = new Connection(port, forPort);
                    connection.open(selector);
                    connections.add(connection);
                }
            }
            long startNanos = System.nanoTime() + 20_000_000L;
            long startMicros = FakeVendors.epochMicros() + 20_000L;
            long giveUpNanos = startNanos + count * intervalNanos + Load.REQUEST_BOUND_MILLIS * 1_000_000L + 10_000_000_000L;
            long next = 0;
            long outstanding = 0;
            long lastSweep = System.nanoTime();
            while (done < count) {
                long now = System.nanoTime();
                for (; next < count && startNanos + next * intervalNanos <= now; next++) {
                    long due = startNanos + next * intervalNanos;
                    sendLagNanos = Math.max(sendLagNanos, now - due);
                    if (outstanding >= maxOutstanding) {
                        shed++;
                        failed++;
                        done++;
                        continue;
                    }
                    Load.Request request = bodyAt.apply(startMicros + (due - startNanos) / 1000);
                    int portIndex = ports.length == 1 ? 0 : Math.floorMod(turn++, ports.length);
                    waiting.get(portIndex).add(new Due(next, due, (int) ((due - startNanos) / 100_000_000L),
                            encode(request, ports[portIndex])));
                    outstanding++;
                }
                for (Connection connection : connections) {
                    ArrayDeque<Due> queue = connection.waiting;
                    if (!queue.isEmpty() && connection.ready()) {
                        try {
                            connection.send(queue.peek());
                            queue.poll();
                        } catch (IOException e) {
                            queue.poll();
                            failed++;
                            done++;
                            outstanding--;
                            reopen(connection, selector);
                        }
                    }
                }
                long untilDue = next < count ? startNanos + next * intervalNanos - System.nanoTime() : 100_000_000L;
                if (untilDue <= 0) {
                    selector.selectNow();
                } else {
                    selector.select(Math.max(1, untilDue / 1_000_000L));
                }
                for (SelectionKey key : selector.selectedKeys()) {
                    Connection connection = (Connection) key.attachment();
                    Due carried = connection.carrying;
                    try {
                        if (key.isConnectable()) {
                            connection.channel.finishConnect();
                            key.interestOps(0);
                        } else if (key.isWritable()) {
                            connection.write();
                        } else if (key.isReadable()) {
                            int status = connection.readAnswer();
                            if (status >= 0) {
                                long micros = (System.nanoTime() - carried.dueNanos()) / 1000;
                                answers.recordValue(Math.min(micros, 3_600_000_000L));
                                worstByTenth.accumulateAndGet(carried.tenth(), micros, Math::max);
                                if (status == 200) {
                                    ok++;
                                } else {
                                    failed++;
                                }
                                done++;
                                outstanding--;
                            }
                        }
                    } catch (IOException e) {
                        if (carried != null) {
                            failed++;
                            done++;
                            outstanding--;
                        }
                        reopen(connection, selector);
                    }
                }
                selector.selectedKeys().clear();
                now = System.nanoTime();
                if (now - lastSweep > 1_000_000_000L) {
                    lastSweep = now;
                    // An answer that never comes counts as failed (status 0), as Load's other requests do.
                    for (Connection connection : connections) {
                        if (connection.carrying != null && now - connection.sentNanos > unansweredAfterNanos) {
                            failed++;
                            done++;
                            outstanding--;
                            reopen(connection, selector);
                        }
                    }
                }
                if (now > giveUpNanos) {
                    Map<Long, Long> left = new TreeMap<>();
                    connections.stream().filter(connection -> connection.carrying != null)
                            .forEach(connection -> left.put(connection.carrying.index(), connection.carrying.dueNanos()));
                    waiting.forEach(queue -> queue.forEach(due -> left.put(due.index(), due.dueNanos())));
                    failed += count - done;
                    BenchRun.log(String.format("open loop: %d of %d requests had no outcome %d s after the last was due"
                                    + " (counted as failed): request %s", count - done, count,
                            (Load.REQUEST_BOUND_MILLIS + 10_000) / 1000, left.entrySet().stream().limit(5)
                                    .map(entry -> String.format("#%d due at %.3f s", entry.getKey(),
                                            (entry.getValue() - startNanos) / 1e9)).toList()));
                    break;
                }
            }
            connections.forEach(Connection::close);
        }
        return new Load.OpenLoopResult(count, ok, failed, shed, answers, count / perSecond, worstByTenth,
                sendLagNanos / 1000);
    }

    private void reopen(Connection connection, Selector selector) throws IOException {
        connection.close();
        connection.carrying = null;
        connection.open(selector);
    }

    private byte[] encode(Load.Request request, int port) {
        byte[] body = request.body().getBytes();
        String head = "POST " + request.path() + " HTTP/1.1\r\nHost: " + host + ":" + port
                + "\r\nContent-Type: application/json\r\n"
                + (authorization == null ? "" : "Authorization: " + authorization + "\r\n")
                + "Content-Length: " + body.length + "\r\n\r\n";
        byte[] headBytes = head.getBytes(StandardCharsets.US_ASCII);
        byte[] bytes = new byte[headBytes.length + body.length];
        System.arraycopy(headBytes, 0, bytes, 0, headBytes.length);
        System.arraycopy(body, 0, bytes, headBytes.length, body.length);
        return bytes;
    }

    private static boolean chunked(String header) {
        return header.lines().anyMatch(line -> {
            int colon = line.indexOf(':');
            return colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase("transfer-encoding")
                    && line.substring(colon + 1).trim().equalsIgnoreCase("chunked");
        });
    }

    private static int contentLength(String header) throws IOException {
        for (String line : header.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase("content-length")) {
                return Integer.parseInt(line.substring(colon + 1).trim());
            }
        }
        throw new IOException("an answer without Content-Length: " + header.lines().findFirst().orElse(""));
    }

    private static int indexOf(byte[] bytes, int from, int end, byte[] pattern) {
        for (int i = from; i + pattern.length <= end; i++) {
            int j = 0;
            while (j < pattern.length && bytes[i + j] == pattern[j]) {
                j++;
            }
            if (j == pattern.length) {
                return i;
            }
        }
        return -1;
    }
}
