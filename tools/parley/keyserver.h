/* keyserver.h - `parley keyserver`'s connections (keyserver.c) and the
 * limits on what a peer can make it spend (keyserver_limits.c). */
#ifndef PARLEY_TOOL_KEYSERVER_H
#define PARLEY_TOOL_KEYSERVER_H

#include <pthread.h>
#include <stdint.h>
#include <uv.h>

#include "common.h"

/* Unsent answers above this pause reading from the client; below KS_OUT_LOW
 * reading resumes. An answer is at most a few hundred bytes. */
#define KS_OUT_HIGH (256 * 1024)
#define KS_OUT_LOW (64 * 1024)
/* Descriptors kept for the listener, the loop, libuv's internals, key
 * reloads, and connections closed but not yet released (up to a listen
 * backlog's worth per loop iteration). */
#define KS_FD_RESERVE 256

typedef struct ks_server {
    uv_loop_t *loop;
    parley_config *cfg;
    parley_keystore *keys;
    pthread_rwlock_t keys_lock; /* workers read, SIGHUP swaps */
    const char *keydir;
    int log_ops;
    unsigned long next_client;
    int hs_timeout_ms, max_conns, max_inflight;
    int nconns;                        /* open connections (not closing) */
    struct ks_client *hs_head, *hs_tail; /* unauthenticated connections, oldest first */
    struct ks_client *linger_tail;       /* lingering ones come first in that list: the last of them */
    unsigned long refused, evicted;    /* over --max-conns since the last log line */
    uv_timer_t over_timer;             /* paces that log line */
} ks_server;

typedef struct ks_client {
    uv_tcp_t tcp;
    uv_timer_t timer; /* the handshake deadline */
    ks_server *srv;
    parley_conn *conn;
    char peer[80];
    unsigned long id, ops;
    int closing, refs;
    int inflight;     /* operations queued or running on the worker pool */
    int paused;       /* reading stopped: back-pressure */
    int logged_pause; /* reasons already logged: 1 in flight, 2 unsent answers */
    int in_hs;        /* on the server's list of unauthenticated connections */
    int lingering;    /* after a fatal alert: shut down, discarding the client's bytes (closing too) */
    tool_linger linger;
    uv_shutdown_t shut;
    struct ks_client *hs_prev, *hs_next;
    uint8_t *frames;
    size_t flen, fcap;
} ks_client;

/* ks_close's reason for an eviction: counted in the --max-conns line, not logged per client. */
extern const char KS_EVICTED[];

void ks_close(ks_client *c, const char *why);
/* The server's list of unauthenticated connections, oldest first. */
void ks_hs_append(ks_client *c);
void ks_hs_unlink(ks_client *c);
/* Put a lingering connection ahead of the handshaking ones, behind earlier
 * lingering ones (oldest first: the first evicted). */
void ks_hs_add_lingering(ks_client *c);
/* At --max-conns: evict the oldest unauthenticated connection (1: go on
 * and accept), or, with every connection authenticated, accept and close
 * the new one at once (0). */
int ks_admit(ks_server *s, uv_stream_t *listener);
/* Accept the pending connection and close it at once (over the cap, or out of memory). */
void ks_drop_new(ks_server *s, uv_stream_t *listener);
/* A refusal or eviction happened: log the counts, at most once a second. */
void ks_over_event(ks_server *s);
/* Raise the descriptor limit to fit --max-conns, or lower the cap to fit. */
int ks_fit_descriptors(int max_conns);

#endif
