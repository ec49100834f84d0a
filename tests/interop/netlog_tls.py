#!/usr/bin/env python3
"""What Chromium's net log (--log-net-log=FILE) says about the TLS under each
page: for every URL request whose URL contains FILTER, one line

  url=URL socket=ID version=TLS 1.3 cipher=0x1301 resumed=yes alpn=http/1.1

usage: netlog_tls.py NETLOG.json [FILTER]

The chain followed, by source ids: the URL_REQUEST is bound to an
HTTP_STREAM_JOB (HTTP_STREAM_REQUEST_BOUND_TO_JOB), the job to a socket
(SOCKET_POOL_BOUND_TO_SOCKET), and the socket's SSL_CONNECT end event carries
the handshake's outcome (version, cipher_suite, is_resumed, next_proto). A
request whose chain cannot be followed prints socket=? and no TLS fields, one
whose handshake failed net_error=N (Chromium's code, e.g. -202 for
ERR_CERT_AUTHORITY_INVALID) instead of them. The
file is read even when Chromium did not finish it (the closing ']}' missing).
Exit 1 when the file holds no SSL_CONNECT at all."""
import json, sys


def load(path):
    text = open(path, encoding="utf-8", errors="replace").read()
    try:
        return json.loads(text)
    except ValueError:  # cut off mid-write: close the events array ourselves
        body = text.rstrip().rstrip(",")
        if not body.endswith("}"):
            body = body[:body.rfind("}") + 1]
        return json.loads(body + "]}")


def main():
    log = load(sys.argv[1])
    want = sys.argv[2] if len(sys.argv) > 2 else ""
    names = {v: k for k, v in log["constants"]["logEventTypes"].items()}
    end = log["constants"]["logEventPhase"]["PHASE_END"]
    urls, order, job_of, sock_of, tls = {}, [], {}, {}, {}
    for e in log["events"]:
        t, src, p = names.get(e["type"]), e["source"]["id"], e.get("params") or {}
        dep = (p.get("source_dependency") or {}).get("id")
        if t == "URL_REQUEST_START_JOB" and "url" in p:
            if src not in urls:
                order.append(src)
            urls[src] = p["url"]  # the last one: a redirect starts a new job
        elif t == "HTTP_STREAM_REQUEST_BOUND_TO_JOB":
            job_of[src] = dep
        elif t == "SOCKET_POOL_BOUND_TO_SOCKET":
            sock_of[src] = dep
        elif t == "SSL_CONNECT" and e["phase"] == end:
            tls[src] = p
    for r in order:
        if want not in urls[r]:
            continue
        s = sock_of.get(job_of.get(r))
        p = tls.get(s)
        if not p:
            print("url=%s socket=?" % urls[r])
            continue
        if "net_error" in p:  # the handshake (or the certificate check in it) failed
            print("url=%s socket=%s net_error=%s" % (urls[r], s, p["net_error"]))
            continue
        print("url=%s socket=%s version=%s cipher=0x%04x resumed=%s alpn=%s" % (
            urls[r], s, p.get("version"), p.get("cipher_suite", 0), "yes" if p.get("is_resumed") else "no",
            p.get("next_proto") or "none"))
    if not tls:
        print("netlog_tls: no SSL_CONNECT in %s" % sys.argv[1], file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
