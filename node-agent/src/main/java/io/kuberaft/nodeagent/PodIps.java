package io.kuberaft.nodeagent;

import java.util.BitSet;

/** Pod IPs of one node from its /24 ({@code 10.X.Y.0/24}): .2 to .254, freed when a pod is gone. */
final class PodIps {
    private final String prefix;
    private final BitSet used = new BitSet(256);

    PodIps(String cidr) {
        String base = cidr.substring(0, cidr.indexOf('/'));
        this.prefix = base.substring(0, base.lastIndexOf('.') + 1);
    }

    /** The node's pod CIDR derived from its name, so agents on different hosts rarely collide: 10.64.0.0/10 in /24s. */
    static String cidrFor(String nodeName) {
        int h = Math.floorMod(nodeName.hashCode() * 0x9E3779B1, 1 << 14);
        return "10." + (64 + (h >> 8)) + "." + (h & 0xFF) + ".0/24";
    }

    synchronized String allocate() {
        int i = used.nextClearBit(2);
        if (i > 254) {
            throw new IllegalStateException("no pod IP left in " + prefix + "0/24");
        }
        used.set(i);
        return prefix + i;
    }

    /** Takes back an address a pod already had (an agent restart), if it is one of ours. */
    synchronized boolean claim(String ip) {
        if (ip == null || !ip.startsWith(prefix)) {
            return false;
        }
        try {
            int i = Integer.parseInt(ip.substring(prefix.length()));
            if (i < 2 || i > 254 || used.get(i)) {
                return false;
            }
            used.set(i);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    synchronized void release(String ip) {
        if (ip != null && ip.startsWith(prefix)) {
            try {
                used.clear(Integer.parseInt(ip.substring(prefix.length())));
            } catch (NumberFormatException e) {
                // not ours
            }
        }
    }
}
