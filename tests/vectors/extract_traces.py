#!/usr/bin/env python3
"""Transcribe the RFC 8448-style TLS 1.3 example traces into a flat vector file.

Usage: extract_traces.py TRACES.txt > tls13_traces.vec

Output, one block per {client}/{server} step of sections 3 (simple 1-RTT), 4 (resumed)
and 5 (HelloRetryRequest):
    block <section> <client|server> <action text>
    field <name_with_underscores> <hex or empty>
    end
The project's tests read only the .vec file, so the build never needs ../shared.
"""
import re
import sys

SECTIONS = {"3": "Simple 1-RTT Handshake", "4": "Resumed 0-RTT Handshake", "5": "HelloRetryRequest"}

def main():
    text = open(sys.argv[1]).read().splitlines()
    section = None
    blocks = []
    cur = None
    field = None
    for line in text:
        m = re.match(r"^(\d+)\.\s+(.*)$", line)
        if m:
            section = m.group(1) if m.group(1) in SECTIONS else None
            cur = field = None
            continue
        if section is None or line.startswith(("Thomson", "Internet-Draft")) or not line.strip():
            continue
        m = re.match(r"^\s+\{(client|server)\}\s+(.*)$", line)
        if m:
            cur = {"section": section, "role": m.group(1), "action": m.group(2).strip(), "fields": []}
            blocks.append(cur)
            field = None
            continue
        if cur is None:
            continue
        m = re.match(r"^\s+([A-Za-z][A-Za-z0-9 ]*?)(?: \((\d+) octets\))?:\s+(.*)$", line)
        if m:
            name = m.group(1).strip().replace(" ", "_")
            rest = m.group(3).strip()
            if rest.startswith("0 (all zero octets)") or rest == "(empty)":
                rest = ""
            if rest and not re.fullmatch(r"[0-9a-f]{2}( [0-9a-f]{2})*", rest):
                field = None
                continue
            field = [name, rest.replace(" ", ""), int(m.group(2)) if m.group(2) else None]
            cur["fields"].append(field)
            continue
        m = re.match(r"^\s+([0-9a-f]{2}( [0-9a-f]{2})*)\s*$", line)
        if m and field is not None:
            field[1] += m.group(1).replace(" ", "")
            continue
        if field is None and not cur["fields"]:
            cur["action"] += " " + line.strip()  # wrapped action text
    out = sys.stdout
    out.write("# Transcribed from the TLS WG 'Example Handshake Traces for TLS 1.3'\n")
    out.write("# (editor's copy, September 2018; code components: Simplified BSD License).\n")
    for b in blocks:
        out.write("block %s %s %s\n" % (b["section"], b["role"], b["action"]))
        for name, hexv, n in b["fields"]:
            if n is not None and len(hexv) != 2 * n:
                raise SystemExit("length mismatch in %s/%s: %d vs %d" % (b["action"], name, len(hexv) // 2, n))
            out.write("field %s %s\n" % (name, hexv))
        out.write("end\n")

main()
