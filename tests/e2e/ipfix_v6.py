#!/usr/bin/env python3
"""Send one IPFIX message with IPv6 flow records to 127.0.0.1:PORT (for nfcapd in the tests).

usage: ipfix_v6.py PORT SRC DST [SRC DST ...]

One template (id 256: octetDeltaCount, packetDeltaCount, protocolIdentifier,
sourceIPv6Address, destinationIPv6Address, flowStartMilliseconds, flowEndMilliseconds) and one
data record per address pair, in the order given.
"""
import ipaddress
import socket
import struct
import sys
import time


def main():
    port = int(sys.argv[1])
    addrs = sys.argv[2:]
    if not addrs or len(addrs) % 2:
        sys.exit("usage: ipfix_v6.py PORT SRC DST [SRC DST ...]")
    now = int(time.time())
    fields = [(1, 8), (2, 8), (4, 1), (27, 16), (28, 16), (152, 8), (153, 8)]
    tmpl = struct.pack(">HH", 256, len(fields)) + b"".join(struct.pack(">HH", i, n) for i, n in fields)
    tset = struct.pack(">HH", 2, 4 + len(tmpl)) + tmpl
    recs = b""
    for i in range(0, len(addrs), 2):
        src = ipaddress.IPv6Address(addrs[i]).packed
        dst = ipaddress.IPv6Address(addrs[i + 1]).packed
        recs += struct.pack(">QQB", 100 + i, 1, 17) + src + dst
        recs += struct.pack(">QQ", now * 1000, now * 1000 + 5)
    dset = struct.pack(">HH", 256, 4 + len(recs)) + recs
    body = tset + dset
    msg = struct.pack(">HHIII", 10, 16 + len(body), now, 1, 0) + body
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.sendto(msg, ("127.0.0.1", port))


if __name__ == "__main__":
    main()
