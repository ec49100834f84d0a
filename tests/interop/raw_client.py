"""A raw-bytes TLS client for the alert-delivery tests (test_alert_delivery.sh):
it sends a malformed ClientHello and whatever else a mode says, and reports
exactly what came back and how the stream ended.

Usage: raw_client.py MODE PORT [ARGS]
  burst N   N times: a malformed ClientHello immediately followed by 64 KiB of
            junk records, then (once the answer is there, unread) 16 KiB
            more in four pieces 25 ms apart; then read to the end.
            One line per try: "try K: got <hex> end=eof|reset|timeout|error"
            (a failed send is "end=reset-on-send").
  hold [second]
            a malformed ClientHello; read the alert and the end of stream,
            then keep the socket open and send one byte every 20 ms until the
            server's socket is gone (its kernel resets the connection).
            Prints "got <hex> end=eof" and "closed after S s" (from the
            alert's arrival), or "still open after 15 s". With "second",
            a second connection is opened meanwhile: "second: closed" if the
            server closed it at once (within 0.4 s: over --max-conns), else
            "second: open". With "after", the second connection comes 0.3 s
            after the alert, and "first: open|closed before second" says
            whether the first was still there then.
  oldest    against --max-conns 2: two lingering connections, B then D
            (0.3 s apart), then C connects: "B: open|closed", "D: open|closed".
  flood     a malformed ClientHello; once the alert is there (read, not
            the end of stream), junk as fast as the server takes it, never
            reading, until a send fails. Prints "sent N bytes in S s" (after
            the alert) and how it ended.
  late DELAY
            connect, wait DELAY seconds, send a malformed ClientHello, then
            as hold. Also prints "gone after S s since connect".
  order     three connections against --max-conns 2: A connects and sends
            nothing; B sends a malformed ClientHello and reads the alert and
            the end of stream (it lingers); C connects. Prints "B: closed
            after S s" (from C's connect) and "A: open" or "A: closed"
            (A is looked at 0.5 s after C connected).
"""
import errno, select, socket, struct, sys, time

JUNK_RECORD = bytes([0x17, 0x03, 0x03, 0x40, 0x00]) + bytes(16384)  # application_data, 2^14 bytes


def bad_client_hello():
    """A ClientHello whose legacy_session_id says 255 bytes where the message
    has far fewer: a length that overruns its message, decode_error (RFC 8446
    6.2: "the length of the message was incorrect")."""
    body = struct.pack(">H", 0x0303) + bytes(range(32))  # legacy_version, random
    body += bytes([0xFF]) + bytes(8)                      # legacy_session_id<0..32>: 255, then 8 bytes
    body += struct.pack(">H", 2) + struct.pack(">H", 0x1301)
    body += bytes([1, 0])
    hs = bytes([1]) + struct.pack(">I", len(body))[1:] + body
    return bytes([0x16, 0x03, 0x01]) + struct.pack(">H", len(hs)) + hs


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def read_to_end(s, deadline):
    """Everything until the end of the stream: (bytes, "eof" | "reset" | "timeout" | "error")."""
    got = b""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return got, "timeout"
        s.settimeout(left)
        try:
            d = s.recv(65536)
        except socket.timeout:
            return got, "timeout"
        except ConnectionResetError:
            return got, "reset"
        except OSError as e:
            return got, "error:" + errno.errorcode.get(e.errno, str(e.errno))
        if not d:
            return got, "eof"
        got += d


def burst(port, n):
    for k in range(1, n + 1):
        s = connect(port)
        end = None
        try:
            s.sendall(bad_client_hello() + JUNK_RECORD * 4)
            # On loopback all of that is in the server's socket before it
            # even parses the ClientHello, and an event loop reads it all
            # while it handles the hello; on a real network the bytes
            # arrive spread out. So, once the alert is there to read (not
            # read), 16 KiB more in four pieces 25 ms apart: bytes still on
            # the way when the server is done with the connection.
            if select.select([s], [], [], 10)[0]:
                for _ in range(4):
                    s.sendall(JUNK_RECORD[:4096])
                    time.sleep(0.025)
        except OSError as e:
            end = "reset-on-send" if e.errno in (errno.ECONNRESET, errno.EPIPE) else "error-on-send"
        got, how = read_to_end(s, time.monotonic() + 10)
        print("try %d: got %s end=%s" % (k, got.hex(), end or how), flush=True)
        s.close()


def wait_gone(s, t0, limit=15):
    """Send a byte every 20 ms until the peer's socket is gone (its kernel
    answers with a reset). Seconds since t0, or None after `limit` seconds."""
    s.setblocking(False)
    while time.monotonic() - t0 < limit:
        try:
            s.send(b"x")
            time.sleep(0.02)
            s.recv(1)  # b"" after the end of stream; ECONNRESET once the reset came
        except BlockingIOError:
            pass
        except OSError:
            return time.monotonic() - t0
    return None


def hold(port, second, delay=0.0):
    s = connect(port)
    t_connect = time.monotonic()
    if delay:
        time.sleep(delay)
    s.sendall(bad_client_hello())
    got, how = read_to_end(s, time.monotonic() + 10)
    t0 = time.monotonic()
    print("got %s end=%s" % (got.hex(), how), flush=True)
    if how != "eof":
        return
    if second == "after":
        # The lingering connection is given time to show it lingers (a
        # server that closed at once has closed by now), then a second
        # connection comes.
        time.sleep(0.3)
        gone = wait_gone(s, time.monotonic(), 0.1)
        print("first: %s before second" % ("closed" if gone is not None else "open"), flush=True)
        s.setblocking(True)
        second = True
    if second:
        # While this one lingers, does it still hold its slot? A connection
        # refused over --max-conns is closed at once without a word; one
        # that is served waits for its ClientHello.
        s2 = connect(port)
        _, how2 = read_to_end(s2, time.monotonic() + 0.4)
        print("second: %s" % ("open" if how2 == "timeout" else "closed"), flush=True)
        s2.close()
    # Our side stays open. The server, lingering, discards these bytes; once
    # it has closed its socket its kernel answers the next one with a reset.
    # (The socket is readable for good after the end of stream, so the pace
    # is a sleep: 50 bytes a second, far from the byte bound.)
    t = wait_gone(s, t0)
    if t is None:
        print("still open after 15 s", flush=True)
        return
    print("closed after %.2f s" % t, flush=True)
    if delay:
        print("gone after %.2f s since connect" % (t0 + t - t_connect), flush=True)


def order(port):
    a = connect(port)
    b = connect(port)
    b.sendall(bad_client_hello())
    got, how = read_to_end(b, time.monotonic() + 10)
    print("B: got %s end=%s" % (got.hex(), how), flush=True)
    time.sleep(0.3)  # B lingers meanwhile
    c = connect(port)
    t0 = time.monotonic()
    t = wait_gone(b, t0, 5)
    print("B: closed after %.2f s" % t if t is not None else "B: still open after 5 s", flush=True)
    left = 0.5 - (time.monotonic() - t0)
    _, how_a = read_to_end(a, time.monotonic() + max(left, 0.05))
    print("A: %s" % ("open" if how_a == "timeout" else "closed"), flush=True)
    a.close()
    c.close()


def oldest(port):
    """Against --max-conns 2: B and then, 0.3 s later, D send a malformed
    ClientHello and linger; C connects. Prints "B: open|closed" and
    "D: open|closed" as seen within 0.3 s of C's connect."""
    socks = []
    for name in ("B", "D"):
        s = connect(port)
        s.sendall(bad_client_hello())
        got, how = read_to_end(s, time.monotonic() + 10)
        print("%s: got %s end=%s" % (name, got.hex(), how), flush=True)
        socks.append(s)
        time.sleep(0.3)
    c = connect(port)
    t0 = time.monotonic()
    for name, s in zip(("B", "D"), socks):
        gone = wait_gone(s, t0, 0.3)
        print("%s: %s" % (name, "closed" if gone is not None else "open"), flush=True)
    c.close()


def flood(port):
    s = connect(port)
    s.sendall(bad_client_hello())
    # Only once the alert is there: bytes sent after it are what the server
    # drains (a server that closed at once resets the first of them).
    s.settimeout(10)
    got = b""
    while len(got) < 7:
        d = s.recv(7 - len(got))
        if not d:
            break
        got += d
    chunk = bytes(65536)
    sent, t0 = 0, time.monotonic()
    s.settimeout(1)
    while time.monotonic() - t0 < 15:
        try:
            sent += s.send(chunk)
        except socket.timeout:
            continue
        except OSError as e:
            print("sent %d bytes in %.2f s: %s" % (sent, time.monotonic() - t0,
                  errno.errorcode.get(e.errno, str(e.errno))), flush=True)
            return
    print("sent %d bytes in %.2f s: still open" % (sent, time.monotonic() - t0), flush=True)


if __name__ == "__main__":
    mode, port = sys.argv[1], int(sys.argv[2])
    if mode == "burst":
        burst(port, int(sys.argv[3]))
    elif mode == "hold":
        hold(port, sys.argv[3] if len(sys.argv) > 3 else None)
    elif mode == "late":
        hold(port, None, float(sys.argv[3]))
    elif mode == "order":
        order(port)
    elif mode == "oldest":
        oldest(port)
    elif mode == "flood":
        flood(port)
    else:
        sys.exit("unknown mode " + mode)
