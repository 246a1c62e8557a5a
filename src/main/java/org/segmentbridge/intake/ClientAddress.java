package org.segmentbridge.intake;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

import io.netty.handler.ipfilter.IpFilterRuleType;
import io.netty.handler.ipfilter.IpSubnetFilterRule;
import io.netty.util.NetUtil;
import io.vertx.core.net.SocketAddress;

/**
 * The address of the device that sent an event, for {@code context.ip} as Segment fills it: the connection's peer,
 * or, when that peer is a trusted proxy ({@code bridge.intake.trusted-proxies}), the nearest address in
 * {@code X-Forwarded-For} that is not one. Only trusted proxies are believed: anyone can write the header.
 */
final class ClientAddress {

    static final String SETTING = "bridge.intake.trusted-proxies";

    private final List<IpSubnetFilterRule> trustedProxies = new ArrayList<>();

    /** @param trustedProxies addresses ({@code 10.0.0.7}) or networks ({@code 10.0.0.0/8}, {@code fd00::/8}) */
    ClientAddress(List<String> trustedProxies) {
        for (String proxy : trustedProxies) {
            String[] parts = proxy.split("/", 2);
            InetAddress address = literal(parts[0]);
            int bits = address.getAddress().length * 8;
            int prefix = bits;
            if (parts.length == 2) {
                try {
                    prefix = Integer.parseInt(parts[1]);
                } catch (NumberFormatException e) {
                    prefix = -1;
                }
            }
            if (prefix < 0 || prefix > bits) {
                throw new IllegalArgumentException("Setting " + SETTING + ": '" + proxy + "' is not an IP address or network "
                        + "(e.g. 10.0.0.7, 10.0.0.0/8, fd00::/8)");
            }
            this.trustedProxies.add(new IpSubnetFilterRule(address, prefix, IpFilterRuleType.ACCEPT));
        }
    }

    /**
     * @param peer          the connection's remote address, or null when unknown
     * @param forwardedFor  the request's X-Forwarded-For, or null
     * @return the sender's address, or null when the peer is unknown
     */
    String of(SocketAddress peer, String forwardedFor) {
        InetAddress peerAddress = peer == null || peer.hostAddress() == null ? null : literalOrNull(peer.hostAddress());
        if (peerAddress == null) {
            return null;
        }
        String address = NetUtil.toAddressString(peerAddress);
        if (!trusted(peerAddress) || forwardedFor == null) {
            return address;
        }
        String[] hops = forwardedFor.split(",");
        for (int hop = hops.length - 1; hop >= 0; hop--) {
            InetAddress candidate = literalOrNull(hops[hop].trim());
            if (candidate == null) {
                return address; // a garbled hop: only what the trusted proxy itself saw is certain
            }
            if (!trusted(candidate) || hop == 0) {
                return NetUtil.toAddressString(candidate);
            }
        }
        return address;
    }

    private boolean trusted(InetAddress address) {
        InetSocketAddress socket = new InetSocketAddress(address, 0);
        return trustedProxies.stream().anyMatch(rule -> rule.matches(socket));
    }

    private static InetAddress literal(String text) {
        InetAddress address = literalOrNull(text.trim());
        if (address == null) {
            throw new IllegalArgumentException("Setting " + SETTING + ": '" + text + "' is not an IP address or network "
                    + "(e.g. 10.0.0.7, 10.0.0.0/8, fd00::/8)");
        }
        return address;
    }

    /** Never a DNS lookup: only IP literals are addresses here. */
    private static InetAddress literalOrNull(String text) {
        String bare = text.startsWith("[") && text.endsWith("]") ? text.substring(1, text.length() - 1) : text;
        return NetUtil.createInetAddressFromIpAddressString(bare);
    }
}
