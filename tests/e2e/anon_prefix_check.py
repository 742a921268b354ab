#!/usr/bin/env python3
"""Check that anonymized CSV files keep the original records' prefixes (for test_anonymize_labelled.sh).

usage: anon_prefix_check.py ORIG.csv PRED ANON_MATCH.csv ANON_REST.csv

ORIG.csv is `overflowd dump --format csv` of the capture (all records, in order); PRED is "ntp"
(the split the pipeline made: UDP with source or destination port 123). The records of ORIG that
match go, in order, with the rows of ANON_MATCH.csv, the others with ANON_REST.csv. Checks:
  - row counts, and every column but the addresses equal to the original record's;
  - the address mapping is a function (one original, one pseudonym) and injective;
  - prefix preservation: for every two distinct original addresses next to each other in sorted
    order, and for 200,000 random pairs, the common prefix length of the originals equals that of
    the pseudonyms (exactly n shared bits before, exactly n after).
Prints "ok: ..." lines; exits 1 on the first failure with the reason.
"""
import csv
import ipaddress
import random
import sys

COLS = ["time_flow_start_ns", "time_flow_end_ns", "src_port", "dst_port", "proto", "packets", "bytes", "tcp_flags"]


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def cpl(a, b, bits):
    x = a ^ b
    return bits if x == 0 else bits - x.bit_length()


def main():
    orig_path, pred, match_path, rest_path = sys.argv[1:5]
    if pred != "ntp":
        fail("unknown predicate " + pred)
    with open(orig_path, newline="") as f:
        orig = list(csv.DictReader(f))
    want_match = [r for r in orig if r["proto"] == "UDP" and (r["src_port"] == "123" or r["dst_port"] == "123")]
    want_rest = [r for r in orig if not (r["proto"] == "UDP" and (r["src_port"] == "123" or r["dst_port"] == "123"))]
    fwd = {}
    for path, want in ((match_path, want_match), (rest_path, want_rest)):
        with open(path, newline="") as f:
            got = list(csv.DictReader(f))
        if len(got) != len(want):
            fail(f"{path}: {len(got)} rows, want {len(want)}")
        for i, (g, w) in enumerate(zip(got, want)):
            for c in COLS:
                gc = c if c in g else None
                if gc and g[gc] != w[c]:
                    fail(f"{path} row {i + 2}: {c} {g[gc]} != original {w[c]}")
            for col in ("src_addr", "dst_addr"):
                o = int(ipaddress.ip_address(w[col]))
                a = int(ipaddress.ip_address(g[col]))
                if fwd.setdefault(o, a) != a:
                    fail(f"{path} row {i + 2}: {w[col]} became {g[col]}, earlier {ipaddress.ip_address(fwd[o])}")
        print(f"ok: {path}: {len(got)} rows, columns other than the addresses unchanged")
    if len(set(fwd.values())) != len(fwd):
        fail("two original addresses got the same pseudonym")
    changed = sum(1 for o, a in fwd.items() if o != a)
    print(f"ok: {len(fwd)} distinct addresses, a one-to-one mapping, {changed} changed")
    if changed < len(fwd) * 0.99:
        fail("fewer than 99% of the addresses changed")
    keys = sorted(fwd)
    for x, y in zip(keys, keys[1:]):
        if cpl(x, y, 32) != cpl(fwd[x], fwd[y], 32):
            fail(f"{ipaddress.ip_address(x)} and {ipaddress.ip_address(y)} share {cpl(x, y, 32)} bits, "
                 f"their pseudonyms {cpl(fwd[x], fwd[y], 32)}")
    rng = random.Random(15)
    hist = [0] * 33
    for _ in range(200000):
        x, y = rng.choice(keys), rng.choice(keys)
        n = cpl(x, y, 32)
        if n != cpl(fwd[x], fwd[y], 32):
            fail(f"{ipaddress.ip_address(x)} and {ipaddress.ip_address(y)}: prefix {n} not kept")
        hist[n] += 1
    print(f"ok: prefixes kept on {len(keys) - 1} sorted neighbours and 200000 random pairs "
          f"(pairs sharing >= 16 bits: {sum(hist[16:])}, >= 24: {sum(hist[24:])})")


if __name__ == "__main__":
    main()
