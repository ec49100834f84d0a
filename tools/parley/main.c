/* main.c - `parley client | server | proxy | keyserver`. */
#include <stdio.h>
#include <string.h>

#include "common.h"

void tool_usage(FILE *f)
{
    fprintf(f,
            "parley %s - TLS 1.3 / TLS 1.2 client and server built on libparley\n"
            "\n"
            "usage:\n"
            "  parley client [options] HOST:PORT\n"
            "  parley server [options]\n"
            "  parley proxy --listen ADDR:PORT --backend HOST:PORT [server options] [proxy options]\n"
            "  parley keyserver --listen ADDR:PORT --keys DIR --ca FILE --cert FILE --key FILE\n"
            "\n"
            "client options:\n"
            "  --cafile FILE        trust these CA certificates (default: the system store)\n"
            "  --servername NAME    SNI and the name to verify (default: HOST)\n"
            "  --insecure           do not verify the server certificate (says so loudly)\n"
            "  --tls1.3 | --tls1.2  only this version (default: TLS 1.3 and 1.2, the highest wins)\n"
            "  --allow-rsa-kx       also offer TLS 1.2 static RSA key exchange (no forward secrecy)\n"
            "  --ciphers LIST       colon-separated IANA suite names\n"
            "  --groups LIST        colon-separated: x25519, secp256r1, secp384r1\n"
            "  --alpn LIST          comma-separated, e.g. h2,http/1.1\n"
            "  --keylog FILE        NSS key log (SSLKEYLOGFILE is honoured too)\n"
            "  --trace              print the handshake ladder as it flows\n"
            "  --json               print the summary as one JSON object\n"
            "  --send TEXT          send TEXT instead of an HTTP GET (\\r \\n \\t escapes)\n"
            "  --key-update         send a KeyUpdate (update_requested) before the request\n"
            "  --crl FILE           a CRL (repeatable): leaf and intermediates are checked\n"
            "  --crl-expired warn|fail  an expired CRL fails verification (default) or warns\n"
            "  --max-chain-depth N  at most N intermediate certificates (default 8)\n"
            "  --ocsp require|prefer  ask for a stapled OCSP response and check it; require:\n"
            "                       none is bad_certificate_status_response\n"
            "  --at-time UNIX       verify certificates, CRLs and OCSP as of this time (tests)\n"
            "  --cert FILE --key FILE  a client certificate, sent when the server asks for one\n"
            "                       and it fits the server's CAs and signature algorithms\n"
            "  --timeout SECONDS    socket timeout (default 10)\n"
            "  --sess-out FILE      save the session (TLS 1.2 id or ticket, TLS 1.3 ticket)\n"
            "  --sess-in FILE       offer a saved session\n"
            "  --psk-ke             also offer TLS 1.3 resumption without a new key exchange\n"
            "  --reconnect N        then reconnect N times with the last session; each prints\n"
            "                       protocol:, cipher: and resumed: lines after '--- reconnect i'\n"
            "  --record-padding N   pad encrypted records to a multiple of N bytes\n"
            "\n"
            "server options:\n"
            "  --listen ADDR:PORT   default 127.0.0.1:8443\n"
            "  --cert FILE --key FILE   chain and key (repeatable; chosen by SNI and signature\n"
            "                       algorithms). Without --cert a self-signed localhost\n"
            "                       certificate is generated and its fingerprint printed.\n"
            "  --cert-dir DIR       every NAME.pem with its NAME.key in DIR (sorted), as --cert/--key\n"
            "  --export-cert FILE   write the (first) certificate as PEM, e.g. the generated one\n"
            "  --workers N          N forked workers sharing the port (SO_REUSEPORT); needs --cert\n"
            "  --session-cache SPEC memory:N (default, per process), shm:SIZE (e.g. shm:1m,\n"
            "                       shared by the workers), redis://HOST:PORT[/DB] (shared by\n"
            "                       servers on several hosts) or none\n"
            "  --ticket-keys FILE   session ticket keys (TLS 1.2 and 1.3) shared by a fleet: one\n"
            "                       per line, 96 hex digits (openssl rand -hex 48); first seals,\n"
            "                       all open; SIGHUP reloads. Default: generated, rotated daily\n"
            "                       (with --workers: derived from a secret the workers share).\n"
            "  --ticket-secret FILE ticket keys derived from a secret shared by a fleet (32-128\n"
            "                       hex digits, openssl rand -hex 32): hosts rotate in step\n"
            "  --ticket-rotate S    seconds between rotations of generated or derived ticket\n"
            "                       keys (default 86400); the 6 before still open\n"
            "  --no-tickets         no sealed tickets: TLS 1.2 resumes by session id, TLS 1.3\n"
            "                       tickets become single-use keys into the session cache\n"
            "  --session-lifetime S seconds a session can be resumed (default 7200, max 7 days)\n"
            "  --psk-ke             also accept TLS 1.3 resumption without a new key exchange\n"
            "  --max-early-data N   advertise N bytes of 0-RTT in TLS 1.3 tickets; early data\n"
            "                       is never accepted: it is skipped and the client resends\n"
            "  --client-ca FILE     ask for client certificates, verify them against FILE\n"
            "  --crl FILE, --crl-expired warn|fail   revocation of client certificates\n"
            "  --ocsp-response FILE  DER OCSP response stapled for the Nth --cert (in order)\n"
            "  --verify optional|require   with --client-ca (default optional); require: no\n"
            "                       certificate is certificate_required (1.3) / handshake_failure (1.2)\n"
            "  --alpn LIST, --ciphers LIST, --groups LIST, --tls1.3, --tls1.2, --allow-rsa-kx,\n"
            "  --keylog FILE, --trace,\n"
            "  --record-padding N   (as for the client)\n"
            "\n"
            "keyserver options (docs/keyless.md):\n"
            "  --listen ADDR:PORT   where key-operation clients connect (Parley TLS 1.3)\n"
            "  --keys DIR           PEM private keys (*.pem), reloaded on SIGHUP\n"
            "  --ca FILE            only clients with a certificate from this CA may connect\n"
            "  --cert FILE --key FILE   the key server's own identity\n"
            "  --log-ops            log every operation, not just one line per client\n"
            "  --handshake-timeout S  seconds a client has to authenticate (default 10)\n"
            "  --max-conns N        connections beyond N are closed as soon as they are\n"
            "                       accepted (default 1024)\n"
            "  --max-inflight N     operations one client may have queued or running; at\n"
            "                       N, or with its answers unread, the key server stops\n"
            "                       reading from it until they drain (default 32)\n"
            "\n"
            "proxy options (and every server option: certificates, ALPN, versions, caches,\n"
            "tickets, client certificates, CRLs, OCSP, keyless, --workers):\n"
            "  --backend HOST:PORT  where the plaintext goes (required)\n"
            "  --proxy-protocol     send a PROXY protocol v2 header with the client's address\n"
            "  --max-conns N        connections beyond N per worker are closed at once\n"
            "  --handshake-timeout S  seconds a client has to finish its handshake (default 10)\n"
            "  --idle-timeout S     seconds without progress before a connection is cut (default 60)\n"
            "  --status ADDR:PORT   this worker's counters as JSON (any request)\n"
            "  --config FILE        options from a file, one 'name value' per line (docs/proxy.md)\n"
            "  With --workers N the session cache defaults to shm:4m (shared by the workers).\n"
            "  One line per connection on stderr: client= sni= version= cipher= resumed=\n"
            "  bytes_in= bytes_out= duration_ms= result=. SIGHUP reloads certificates and\n"
            "  ticket keys (open connections keep theirs);\n"
            "  SIGTERM stops accepting and lets open connections finish (10 s at most).\n"
            "\n"
            "server keyless options (the TLS private key stays on the key server):\n"
            "  --cert FILE (no --key) --keyless HOST:PORT --keyless-ca FILE\n"
            "  --keyless-cert FILE --keyless-key FILE [--keyless-timeout MS] [--keyless-pool N]\n"
            "\n"
            "client summary (one 'key: value' per line after the response; stable for scripts):\n"
            "  protocol: <TLSv1.3|TLSv1.2>\n"
            "  cipher: <IANA suite name>\n"
            "  group: <x25519|secp256r1|secp384r1|ffdhe2048|ffdhe3072|ffdhe4096|rsa|none (resumed without a key exchange)>\n"
            "  signature: <signature scheme name|none>\n"
            "  alpn: <protocol|none>\n"
            "  resumed: <yes|no>\n"
            "  extended_master_secret: <yes|no>   (always yes for TLS 1.3)\n"
            "  verify: <ok|the reason>\n"
            "  server_name: <SNI sent|none>\n"
            "  peer_cert.N: subject=<..>; issuer=<..>; not_before=<..>; not_after=<..>; san=<..>\n"
            "  On failure: 'error: <reason>' and 'alert: <sent|received> <name>' on stderr.\n"
            "\n"
            "exit codes: 0 success, 1 usage error, 2 connection or handshake failure\n",
            PARLEY_VERSION_STRING);
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        tool_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? TOOL_EXIT_USAGE : 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("parley %s\n", PARLEY_VERSION_STRING);
        return 0;
    }
    if (strcmp(argv[1], "client") == 0) return tool_client(argc - 1, argv + 1);
    if (strcmp(argv[1], "server") == 0) return tool_server(argc - 1, argv + 1);
    if (strcmp(argv[1], "keyserver") == 0) return tool_keyserver(argc - 1, argv + 1);
    if (strcmp(argv[1], "proxy") == 0) return tool_proxy(argc - 1, argv + 1);
    fprintf(stderr, "parley: unknown command '%s' (try parley --help)\n", argv[1]);
    return TOOL_EXIT_USAGE;
}
