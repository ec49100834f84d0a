/*
 * loadgen.h - the load generator of the fleet scenarios (issue #17,
 * tests/load/test_*.sh, docs/reliability.md): an HTTP/1.1 keep-alive
 * backend, a steady-rate handshake client and a crowd of well-behaved and
 * hostile TLS clients, all on one libuv loop over libparley.
 */
#ifndef LOADGEN_H
#define LOADGEN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "parley/parley.h"

/* ---------------------------------------------------------------- lg_tls
 * One client connection: TCP, then (with a config) TLS through the
 * sans-I/O core. Events go to the owner's callback. */
enum { LG_EV_CONNECTED, LG_EV_HANDSHAKE, LG_EV_DATA, LG_EV_END };

typedef struct lg_tls lg_tls;
typedef void (*lg_event_fn)(lg_tls *t, int ev, const uint8_t *data, size_t len);

struct lg_tls {
    uv_tcp_t tcp;
    uv_connect_t creq;
    parley_conn *conn; /* NULL: raw TCP */
    lg_event_fn on_event;
    void *owner;
    void (*on_freed)(lg_tls *t); /* after the handle is closed */
    const char *why;             /* how it ended (LG_EV_END) */
    char why_buf[160];
    size_t queued;   /* bytes in uv writes not yet done */
    int hs_done, ended, closing, no_read;
};

/* Connect to addr; cfg NULL for raw TCP (LG_EV_CONNECTED only). With
 * no_read the socket is never read (a client that never reads). */
int lg_tls_start(lg_tls *t, uv_loop_t *loop, const struct sockaddr *addr, parley_config *cfg, const char *sni,
                 int no_read);
/* Encrypt and send application data (TLS) or send raw bytes (raw). */
int lg_tls_write(lg_tls *t, const void *buf, size_t len);
int lg_raw_write(lg_tls *t, const void *buf, size_t len);
/* Send what the TLS connection has queued (after using parley_conn_* directly). */
int lg_tls_flush(lg_tls *t);
/* Close (reset: an RST instead of a FIN); on_freed runs once it is gone.
 * Closing an ended or closing connection is a no-op. */
void lg_tls_close(lg_tls *t, int reset);
/* The peer has closed or reset the transport (seen without reading: TCP_INFO). */
int lg_tls_peer_gone(lg_tls *t);

/* ---------------------------------------------------------------- utilities */
uint64_t lg_now_ms(void);
int lg_parse_addr(const char *spec, struct sockaddr_storage *ss);
long lg_rss_kb(int pid);
int lg_nfds(int pid);
/* Answer complete in buf? Returns the length of the whole response (headers
 * + Content-Length body), 0 if more is needed, -1 if malformed. */
long lg_http_response_len(const uint8_t *buf, size_t len, int *status, size_t *body_off);
/* Append n received bytes to buf (holding *len of cap) and frame the answer
 * as lg_http_response_len does; -1 also when they do not fit. */
long lg_http_feed(uint8_t *buf, size_t cap, size_t *len, const uint8_t *data, size_t n, int *status, size_t *body_off);

int lg_backend_main(int argc, char **argv);
int lg_rate_main(int argc, char **argv);
int lg_crowd_main(int argc, char **argv);

/* ---------------------------------------------------------------- hostile clients */
enum {
    HOSTILE_SLOWLORIS,   /* a ClientHello one byte at a time: --handshake-timeout */
    HOSTILE_GARBAGE,     /* bytes that are not TLS records: an alert */
    HOSTILE_BIG_HELLO,   /* a ClientHello of the largest length the format allows */
    HOSTILE_RENEG_FLOOD, /* TLS 1.2 renegotiation ClientHellos, many, never reading */
    HOSTILE_KU_FLOOD,    /* TLS 1.3 KeyUpdate(update_requested) flood, never reading */
    HOSTILE_RESET,       /* a record cut in the middle by an RST */
    HOSTILE_NEVER_READS, /* requests a big answer, keeps asking, never reads */
    HOSTILE_KINDS
};
typedef struct {
    unsigned started, cut, open, unreached; /* unreached: ended before its TCP connection was up */
    uint64_t cut_ms_max;                    /* the longest the server took to cut one */
} hostile_stats;

const char *hostile_kind_name(int kind);
/* Start one hostile connection of `kind`; it lingers at most linger_ms for
 * the server to cut it, then counts as open (and is closed by us). With a
 * log path, each connection's end is appended there as
 * `hostile kind=NAME port=LOCAL_PORT outcome=cut|open|unreached ms=T`. */
int hostile_start(uv_loop_t *loop, const struct sockaddr *addr, int kind, const char *sni, int linger_ms,
                  hostile_stats *st, const char *log_path);
/* How many are still running. */
unsigned hostile_running(void);
/* Close those still running, counting them open. */
void hostile_stop_all(void);

#endif
