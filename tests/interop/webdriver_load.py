#!/usr/bin/env python3
"""Load pages in one headless Chromium session through chromedriver, speaking
the W3C WebDriver protocol (https://www.w3.org/TR/webdriver2/) with urllib
only, and save what the browser's DOM says.

usage: webdriver_load.py --out PREFIX [--arg CHROMIUM_ARG]... URL [URL...]

Each URL is loaded in turn in the SAME browser (one session, one profile), so
a later load may resume a TLS session an earlier one got. For load N (from 1)
PREFIX.N holds document.body.innerText and PREFIX.N.url the page's final
location (chrome-error://... when the load failed); a load WebDriver refuses
(e.g. net::ERR_CERT_AUTHORITY_INVALID) writes 'webdriver error: ...' to PREFIX.N.
Exit 0 when the browser ran (whatever the pages said), 1 when it could not
be started. --no-sandbox is added when running as root (Chromium refuses to
start its sandbox as root), and on a second try when the first start failed."""
import argparse, json, os, shutil, socket, subprocess, sys, time, urllib.error, urllib.request


class WebDriverError(Exception):
    pass


class Driver:
    """A chromedriver process and the HTTP calls of one WebDriver session."""

    def __init__(self, chromedriver, log):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.port = s.getsockname()[1]
        s.close()
        self.proc = subprocess.Popen([chromedriver, "--port=%d" % self.port], stdout=log, stderr=log)
        self.base = "http://127.0.0.1:%d" % self.port
        self.sid = None
        deadline = time.time() + 20
        while True:  # /status says ready once it accepts sessions
            try:
                if self.call("GET", "/status").get("ready"):
                    return
            except (OSError, WebDriverError):
                pass
            if time.time() > deadline or self.proc.poll() is not None:
                raise WebDriverError("chromedriver did not become ready")
            time.sleep(0.1)

    def call(self, method, path, body=None, timeout=60):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json; charset=utf-8"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return json.load(r).get("value")
        except urllib.error.HTTPError as e:  # WebDriver errors come as 4xx/5xx with a JSON body
            try:
                v = json.load(e).get("value") or {}
            except ValueError:
                v = {}
            raise WebDriverError("%s: %s" % (v.get("error", e.code), (v.get("message") or "").splitlines()[0:1]))

    def session(self, binary, args):
        # No preconnects or prefetches (network_prediction_options 2: never):
        # a socket opened ahead of a page, before the first session's ticket
        # arrived, would carry the next page over a full handshake.
        opts = {"args": args, "prefs": {"net": {"network_prediction_options": 2}}}
        if binary:
            opts["binary"] = binary
        # acceptInsecureCerts false: chromedriver must not waive certificate
        # errors itself; only the test's own switches decide what is trusted.
        caps = {"capabilities": {"alwaysMatch": {"browserName": "chrome", "acceptInsecureCerts": False,
                                                 "goog:chromeOptions": opts}}}
        self.sid = self.call("POST", "/session", caps, timeout=90)["sessionId"]
        # A page that never finishes loading fails this run, not the whole test's budget.
        self.call("POST", "/session/%s/timeouts" % self.sid, {"pageLoad": 20000, "script": 5000})

    def load(self, url):
        self.call("POST", "/session/%s/url" % self.sid, {"url": url})
        text = self.script("return document.body ? document.body.innerText : ''")
        return text, self.script("return location.href")

    def script(self, js):
        return self.call("POST", "/session/%s/execute/sync" % self.sid, {"script": js, "args": []})

    def quit(self):
        # Deleting the session closes the browser cleanly: the net log's JSON
        # is only completed on a normal shutdown.
        if self.sid:
            try:
                self.call("DELETE", "/session/%s" % self.sid, timeout=30)
            except (OSError, WebDriverError):
                pass
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--arg", action="append", default=[], help="a Chromium command-line switch")
    ap.add_argument("--chromedriver", default=shutil.which("chromedriver") or "/usr/bin/chromedriver")
    ap.add_argument("--chromium", default=shutil.which("chromium"))
    ap.add_argument("urls", nargs="+")
    a = ap.parse_args()
    # A quiet browser: no first-run pages, no component updates, syncing or
    # other background fetches competing with (or preconnecting beside) the
    # test's own loads; no QUIC, so every connection is TLS over TCP.
    args = ["--headless=new", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
            "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--disable-extensions", "--disable-quic"] + a.arg
    if os.geteuid() == 0:
        args.append("--no-sandbox")
    t0 = time.time()
    with open(a.out + ".chromedriver.log", "w") as log:
        d = None
        try:
            d = Driver(a.chromedriver, log)
            try:
                d.session(a.chromium, args)
            except WebDriverError as e:
                # Not root, but no user namespaces for the sandbox (common in
                # containers): the test is about TLS, not the sandbox.
                if "--no-sandbox" in args:
                    raise
                print("webdriver_load: %s; again with --no-sandbox" % e)
                d.session(a.chromium, args + ["--no-sandbox"])
        except (OSError, WebDriverError, KeyError, TypeError) as e:
            print("webdriver_load: cannot start the browser: %s" % e, file=sys.stderr)
            if d:
                d.quit()
            return 1
        print("browser up after %.1f s" % (time.time() - t0))
        try:
            for i, url in enumerate(a.urls, 1):
                try:
                    text, where = d.load(url)
                except WebDriverError as e:
                    text, where = "webdriver error: %s\n" % e, ""
                with open("%s.%d" % (a.out, i), "w") as f:
                    f.write(text)
                with open("%s.%d.url" % (a.out, i), "w") as f:
                    f.write(where + "\n")
                print("load %d: %s -> %s (%d characters, %.1f s)" % (i, url, where or "error", len(text), time.time() - t0))
        finally:
            d.quit()
            print("browser closed after %.1f s" % (time.time() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
