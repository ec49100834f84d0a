"""relaylib.py - what the interop tests' relays share: listen on 127.0.0.1,
say "ready" (the test waits for that line), accept one client within 20 s
and connect it to the target port."""
import socket


def accept_pair(listen_port, target_port, timeout=20):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", listen_port))
    ls.listen(1)
    print("ready", flush=True)
    ls.settimeout(timeout)
    client, _ = ls.accept()
    ls.close()
    server = socket.create_connection(("127.0.0.1", target_port))
    return client, server
