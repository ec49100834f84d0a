/*
 * proxy.h - `parley proxy`'s shared types, the few globals of a worker and the
 * functions its files call in one another (docs/proxy.md):
 *   proxy.c          options, workers, the accept loop, signals
 *   proxy_pump.c     bytes between the client's TLS and the backend, back-pressure
 *   proxy_conn.c     a connection's waits (session cache, keyless), timer and end
 *   proxy_backend.c  connecting to the backend, the PROXY protocol header
 *   proxy_status.c   the counters and the --status JSON endpoint
 *   proxy_early.c    0-RTT data forwarded to the backend (--early-data)
 */
#ifndef PARLEY_TOOL_PROXY_H
#define PARLEY_TOOL_PROXY_H

#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "server_opts.h"

#define PROXY_HIGH (256 * 1024)
#define PROXY_LOW (64 * 1024)
#define PROXY_TICK_MS 100
#define PROXY_DRAIN_MS 10000 /* after SIGTERM, how long open connections may take to finish */
#define PROXY_TAKEN_CHECK_MS 1000 /* how often to ask the kernel what the client took */

typedef struct {
    server_opts tls;
    const char *backend, *status;
    int status_fd;               /* > 0: the --status socket the --workers supervisor made */
    const char *redis;           /* redis://... : made per worker, on its loop */
    int proxy_protocol;
    int max_conns;
    int hs_timeout_ms, idle_timeout_ms;
    int early_data;              /* --early-data: forward 0-RTT data to the backend (off by default) */
    unsigned early_limit;        /* --early-data-limit: bytes per connection (default 16384) */
} proxy_opts;

typedef struct proxy_conn {
    uv_tcp_t client, backend;
    uv_timer_t timer;
    uv_connect_t connect_req;
    uv_shutdown_t client_shut, backend_shut;
    parley_conn *tls;
    int handles;                 /* open libuv handles; freed at 0 */
    int backend_init, backend_up, hs_done, closing, finishing;
    int client_paused, backend_paused, key_op_wait, lookup_pending;
    int client_done;             /* close_notify or EOF from the client */
    int backend_shut_sent, backend_eof;
    size_t to_client, to_backend; /* bytes queued in uv writes */
    uint8_t *pending;            /* plaintext waiting for the backend connection */
    size_t pending_len;
    uint64_t started, last_active, bytes_up, bytes_down;
    uint64_t client_stalled_since; /* while to_client > 0: when the client last took bytes */
    uint64_t client_handed;      /* bytes given to the client's socket (uv_try_write, uv_write) */
    uint64_t client_taken;       /* of those, acknowledged by the client at the last look */
    uint64_t taken_checked;      /* when that look was */
    int truncated;               /* the client's stream ended without close_notify */
    int client_eof;              /* TCP EOF (or a read error) from the client */
    int lingering;               /* written and shut down: discarding the client's bytes until it closes */
    tool_linger linger;          /* the bounds of that (common.h) */
    char peer[80];
    struct sockaddr_storage peer_addr, local_addr;
    const char *why;             /* how it ended */
    const char *write_error;     /* why queue_write failed: the log's result= */
    struct proxy_conn *kl_prev, *kl_next; /* on g_kl_waiting while key_op_wait */
    uint64_t early_bytes;        /* 0-RTT bytes forwarded (early=1 in the log line) */
    uint8_t *early_held;         /* 0-RTT bytes held until the handshake completes */
    size_t early_held_len, early_held_cap;
    int early_holding;           /* a body or non-HTTP seen: everything further is held */
    int backend_reading;         /* the backend is read only once the handshake is done */
} proxy_conn;

/* One worker's state (each worker is a process with one loop). */
extern uv_loop_t *g_loop;
extern const proxy_opts *g_opts;
extern struct sockaddr_storage g_backend;
/* The handle the keyless provider's threads wake when an operation completes. */
extern uv_async_t g_kl_async;
extern int g_conns, g_draining;
/* Counters of this worker, served as JSON on --status. */
typedef struct {
    unsigned long long accepted, full, resumed, failed, timeouts, rejected, backend_errors, bytes_in, bytes_out;
    unsigned long long by_alert[256]; /* failed handshakes by the alert we sent */
    unsigned long long closed_early;  /* the client left during the handshake */
    unsigned long long truncated;     /* the client's stream ended without close_notify */
} proxy_counters;
extern proxy_counters g_count;

static inline uint64_t now_ms(void) { return uv_now(g_loop); }

/* proxy_pump.c */
void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
void on_client_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf);
void on_backend_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf);
int queue_write(proxy_conn *pc, int to_client, const uint8_t *data, size_t len);
void update_flow(proxy_conn *pc);
int flush_tls(proxy_conn *pc);
void drive(proxy_conn *pc);

/* proxy_conn.c */
void kl_wait_add(proxy_conn *pc);
void kl_wait_remove(proxy_conn *pc);
/* The result= of a failed queue_write: the peer gone, or memory. */
static inline const char *write_why(const proxy_conn *pc) { return pc->write_error ? pc->write_error : "out of memory"; }
void conn_close(proxy_conn *pc, const char *why);
void conn_finish(proxy_conn *pc, const char *why);
void on_lookup_done(parley_conn *conn, const uint8_t *val, size_t len);
void on_timer(uv_timer_t *t);
void kl_notify(void *arg);
void on_key_ops_done(uv_async_t *h);

/* proxy_backend.c */
void shutdown_backend(proxy_conn *pc);
void connect_backend(proxy_conn *pc);
int to_backend(proxy_conn *pc, const uint8_t *d, size_t n);
void backend_start_reading(proxy_conn *pc);

/* proxy_early.c: 0-RTT data read and forwarded (-1: the connection is closed). */
int proxy_forward_early(proxy_conn *pc);
/* ... and what was held, once the handshake is done (-1: closed). */
int proxy_release_early(proxy_conn *pc);

/* proxy_status.c */
void on_status(uv_stream_t *server, int status);

#endif
