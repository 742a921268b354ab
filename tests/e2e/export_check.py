#!/usr/bin/env python3
"""Compare the records an exporting overflowd wrote (its json output) with what a collector got.

  export_check.py json A.json B.json [v9]   B: the records a second overflowd decoded from the
                                            export (json); every exported field must be equal
  export_check.py nfdump A.json NF.txt [v9] NF: nfdump -o "fmt:%ts %te %sa %da %sp %dp %pr %pkt
                                            %byt %in %out %tos %sas %das" (TZ=UTC, -q -N)

Records are compared as sorted multisets of one line each; times to the millisecond (the
exporters' resolution). Exit 0 when equal, 1 with the first differences printed.
"""
import datetime
import json
import sys

PROTO = {"HOPOPT": 0, "ICMP": 1, "IGMP": 2, "TCP": 6, "UDP": 17, "GRE": 47, "ESP": 50, "AH": 51,
         "IPv6-ICMP": 58, "OSPFIGP": 89, "PIM": 103, "VRRP": 112, "SCTP": 132, "IPv4": 4, "IPv6": 41}

# The fields the ipfix and netflow9 outputs export (README), as the json output names them.
FIELDS = ["src_addr", "dst_addr", "next_hop", "src_port", "dst_port", "proto", "ip_tos", "tcp_flags",
          "bytes", "packets", "in_if", "out_if", "src_as", "dst_as", "src_vlan", "dst_vlan", "vlan_id",
          "icmp_type", "icmp_code", "sampling_rate", "forwarding_status", "src_net", "dst_net",
          "src_mac", "dst_mac", "etype"]


def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def proto(v):
    return PROTO.get(v, v) if isinstance(v, str) else v


def key_json(r, v9):
    out = []
    for k in FIELDS:
        v = r.get(k, 0)
        if k == "proto":
            v = proto(v)
        if k == "tcp_flags" and v9:
            v &= 0xff
        out.append(str(v))
    # bgp_next_hop: an unset one ("") is exported as 0.0.0.0 / ::
    b = r.get("bgp_next_hop", "")
    out.append(b if b not in ("", "::") else "0.0.0.0")
    out.append(str(r["time_flow_start_ns"] // 1000000))
    out.append(str(v9_end(r) // 1000000 if v9 else r["time_flow_end_ns"] // 1000000))
    return " ".join(out)


def v9_end(r):
    """The end time v9 carries: a source record that ends before it starts (this capture has v5
    records whose LAST wrapped, 2^32 ms before their FIRST) is written modulo 2^32 ms, which every
    decoder reads as 2^32 ms later (overflowd, tshark, nfdump alike)."""
    end = r["time_flow_end_ns"]
    if end < r["time_flow_start_ns"]:
        end += (1 << 32) * 1000000
    return end


def ts(ns):
    d = datetime.datetime.fromtimestamp(ns // 1000000 / 1000, tz=datetime.timezone.utc)
    return d.strftime("%Y-%m-%d %H:%M:%S.") + "%03d" % (ns // 1000000 % 1000)


def key_nf_from_json(r, v9):
    p = proto(r["proto"])
    end = v9_end(r) if v9 else r["time_flow_end_ns"]
    sp, dp = r["src_port"], r["dst_port"]
    if p in (1, 58):  # nfdump shows ICMP type.code in place of the destination port
        sp, dp = 0, "%d.%d" % (r["icmp_type"], r["icmp_code"])
    elif p == 50 and not v9:  # nfdump 1.7.1 shows no destination port for ESP from IPFIX
        dp = 0
    return " ".join(str(x) for x in (ts(r["time_flow_start_ns"]), ts(end), r["src_addr"],
                                     r["dst_addr"], sp, dp, p, r["packets"], r["bytes"], r["in_if"],
                                     r["out_if"], r["ip_tos"], r["src_as"], r["dst_as"]))


def key_nf(line):
    f = line.split()
    # "YYYY-MM-DD HH:MM:SS.mmm" twice, then the rest
    return " ".join([f[0] + " " + f[1], f[2] + " " + f[3]] + f[4:])


def compare(a, b, what):
    a, b = sorted(a), sorted(b)
    if a == b:
        print("ok: %s: %d records equal" % (what, len(a)))
        return 0
    print("FAIL: %s: %d records expected, %d got" % (what, len(a), len(b)))
    sa, sb = set(a), set(b)
    for x in [x for x in a if x not in sb][:10]:
        print("  only expected: " + x)
    for x in [x for x in b if x not in sa][:10]:
        print("  only got:      " + x)
    return 1


def main():
    mode, a = sys.argv[1], load(sys.argv[2])
    if mode == "json":
        v9 = len(sys.argv) > 4 and sys.argv[4] == "v9"
        b = load(sys.argv[3])
        return compare([key_json(r, v9) for r in a], [key_json(r, v9) for r in b], "overflowd round trip")
    with open(sys.argv[3]) as f:
        got = [key_nf(line) for line in f if line.strip()]
    v9 = len(sys.argv) > 4 and sys.argv[4] == "v9"
    return compare([key_nf_from_json(r, v9) for r in a], got, "nfdump")


if __name__ == "__main__":
    sys.exit(main())
