#!/usr/bin/python3
"""RFC 5103 biflows of a capture, exported as IPFIX by python3-ipfix (Debian's package).

usage: biflow_export.py PACKETS.tsv HOST PORT

PACKETS.tsv is tshark's reading of the capture, one packet a line (see test_biflow.sh for the
fields). Packets are joined into biflows by their 5-tuple in either direction; the first packet
of a biflow makes its direction the forward one (biflowDirection 1, initiator). The biflows
are exported over UDP, IPv4 and IPv6 each with its own template, forward elements then the
reverse ones (enterprise 29305) as python3-ipfix's RFC 5103 element list names them. Prints
"biflows N reverse M" (M: biflows with reverse packets).
"""
import socket
import sys
from datetime import datetime, timedelta
from ipaddress import ip_address

import ipfix.ie
import ipfix.message
import ipfix.template

FWD = ["sourceTransportPort", "destinationTransportPort", "protocolIdentifier", "octetDeltaCount",
       "packetDeltaCount", "flowStartMilliseconds", "flowEndMilliseconds", "tcpControlBits",
       "biflowDirection"]
REV = ["reverseOctetDeltaCount", "reversePacketDeltaCount", "reverseFlowStartMilliseconds",
       "reverseFlowEndMilliseconds", "reverseTcpControlBits"]


def side():
    return {"packets": 0, "bytes": 0, "first": None, "last": None, "flags": 0}


def add(s, length, t, flags):
    s["packets"] += 1
    s["bytes"] += length
    s["first"] = t if s["first"] is None else min(s["first"], t)
    s["last"] = t if s["last"] is None else max(s["last"], t)
    s["flags"] |= flags


def read(path):
    flows = {}
    order = []
    with open(path) as f:
        for line in f:
            c = line.rstrip("\n").split("\t")
            src, src6, dst, dst6, proto, nxt, tsp, usp, tdp, udp_, iplen, plen6, t, flags = c[:14]
            v6 = src == ""
            a, b = (src6, dst6) if v6 else (src, dst)
            p = int(nxt if v6 else proto)
            sp = int(tsp or usp or 0)
            dp = int(tdp or udp_ or 0)
            length = int(plen6) + 40 if v6 else int(iplen)
            ms = int(round(float(t) * 1000))
            fl = int(flags, 16) if flags else 0
            key = (v6, p, a, b, sp, dp)
            rkey = (v6, p, b, a, dp, sp)
            if key in flows:
                add(flows[key]["fwd"], length, ms, fl)
            elif rkey in flows:
                add(flows[rkey]["rev"], length, ms, fl)
            else:
                flows[key] = {"fwd": side(), "rev": side()}
                add(flows[key]["fwd"], length, ms, fl)
                order.append(key)
    return [(k, flows[k]) for k in order]


def dt(ms):
    return datetime(1970, 1, 1) + timedelta(milliseconds=ms)  # python3-ipfix: naive UTC


def main():
    path, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    ipfix.ie.use_iana_default()
    ipfix.ie.use_5103_default()
    mb = ipfix.message.MessageBuffer()
    mb.mtu = 1400
    tids = {False: 256, True: 257}
    mb.begin_export(1)  # templates belong to an observation domain
    for v6, tid in tids.items():
        addrs = ["sourceIPv6Address", "destinationIPv6Address"] if v6 else \
                ["sourceIPv4Address", "destinationIPv4Address"]
        tmpl = ipfix.template.from_ielist(tid, ipfix.ie.spec_list(addrs + FWD + REV))
        mb.add_template(tmpl, export=False)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    flows = read(path)
    nrev = 0
    sent = 0

    def begin():
        mb.begin_export(1)
        for tid in tids.values():
            mb.export_template(tid)

    def flush():
        nonlocal sent
        sock.sendto(mb.to_bytes(), (host, port))
        sent += 1

    begin()
    for (v6, p, a, b, sp, dp), fl in flows:
        f, r = fl["fwd"], fl["rev"]
        nrev += r["packets"] > 0
        rec = {"protocolIdentifier": p, "sourceTransportPort": sp, "destinationTransportPort": dp,
               "octetDeltaCount": f["bytes"], "packetDeltaCount": f["packets"],
               "flowStartMilliseconds": dt(f["first"]), "flowEndMilliseconds": dt(f["last"]),
               "tcpControlBits": f["flags"], "biflowDirection": 1,
               "reverseOctetDeltaCount": r["bytes"], "reversePacketDeltaCount": r["packets"],
               "reverseFlowStartMilliseconds": dt(r["first"] if r["packets"] else f["first"]),
               "reverseFlowEndMilliseconds": dt(r["last"] if r["packets"] else f["last"]),
               "reverseTcpControlBits": r["flags"]}
        if v6:
            rec["sourceIPv6Address"], rec["destinationIPv6Address"] = ip_address(a), ip_address(b)
        else:
            rec["sourceIPv4Address"], rec["destinationIPv4Address"] = ip_address(a), ip_address(b)
        try:
            mb.export_ensure_set(tids[v6])
            mb.export_namedict(rec)
        except ipfix.message.EndOfMessage:
            flush()
            begin()
            mb.export_ensure_set(tids[v6])
            mb.export_namedict(rec)
    flush()
    print("biflows %d reverse %d datagrams %d" % (len(flows), nrev, sent))


if __name__ == "__main__":
    main()
