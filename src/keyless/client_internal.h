/*
 * client_internal.h - the keyless client's state, shared by client.c (the
 * pool: connections and their threads) and client_ops.c (operations: send,
 * re-send, wait). docs/keyless.md.
 */
#ifndef PARLEY_KEYLESS_CLIENT_INTERNAL_H
#define PARLEY_KEYLESS_CLIENT_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "../internal.h"
#include "addrs.h"

#define KL_MAX_PER_SERVER 16
#define KL_MAX_POOL (KL_MAX_PER_SERVER * KL_MAX_SERVERS)
#define KL_MAX_PENDING 1024
/* Reconnect backoff: a key server that comes back is used again within
 * KL_BACKOFF_MAX plus a connect, well inside a second. */
#define KL_BACKOFF_MIN 50
#define KL_BACKOFF_MAX 500
/* One connect attempt (TCP connect and TLS handshake together) gives up
 * after this: a SIGSTOPped key server's kernel still completes the TCP
 * handshake from its listen backlog, and then nothing ever answers. */
#define KL_CONNECT_MS 2000

typedef struct kl_client kl_client;

typedef struct {
    kl_client *owner;
    int index;
    int server; /* index into owner->addrs */
    pthread_t thread;
    pthread_mutex_t lock; /* guards conn and fd */
    parley_conn *conn;
    int fd;
    int wake;             /* eventfd: a request left bytes for this thread to send */
    _Atomic int up;       /* written under lock; read without it as a hint (the sender re-checks under lock) */
    _Atomic int tried;    /* the slot's first connect attempt has ended (parley_keyless_new waits for it) */
    _Atomic int kill;     /* a sibling found this server not answering: drop the connection (slot thread) */
    /* Silence (under lock): requests sent and not yet answered on this
     * connection, and since when it has owed one without receiving a byte.
     * The key server answers every request, even a late one (status
     * deadline_passed), so owing for a whole timeout means it hangs. */
    int owed;
    uint64_t silent_since;
    uint8_t rbuf[16384];
    size_t rlen;
    char why[320]; /* the last failed connect: "cannot connect to H:P: <strerror>" (slot thread only) */
} kl_slot;

typedef struct {
    parley_key_op *op;
    uint32_t id;
    int slot; /* the connection it was sent on; -1 while being sent or re-sent */
    uint64_t deadline;
    int hedged; /* already re-sent to another server because its connection fell silent */
} kl_pending;

struct kl_client {
    parley_key_provider base; /* first: the provider handed to the config */
    kl_addr addrs[KL_MAX_SERVERS];
    int nserv;
    parley_config *tls;
    int timeout_ms, npool; /* npool: slots over all servers; slot i serves server i % nserv */
    _Atomic int stop;   /* set by parley_keyless_free, polled by the slot threads */
    pthread_mutex_t mu; /* guards pending, next_id, logged_down and op completion */
    pthread_cond_t cv;
    kl_pending pending[KL_MAX_PENDING];
    int npending;
    uint32_t next_id;
    int logged_down[KL_MAX_SERVERS]; /* under mu, always (kl_connect reads it through kl_quiet) */
    atomic_uint rr;     /* round-robin position: handshake threads start operations concurrently */
    void (*notify)(void *arg); /* an operation completed (called with mu held) */
    void *notify_arg;
    kl_slot slots[]; /* npool of them, allocated with the client (KL_MAX_POOL at most) */
};

/* client_ops.c */
int pl_kl_find(kl_client *k, uint32_t id);                                      /* caller holds mu */
void pl_kl_finish(kl_client *k, int i, int ok, const uint8_t *out, size_t len); /* caller holds mu */
int pl_kl_expire(kl_client *k, int slot, const parley_key_op *op);              /* caller holds mu */
void pl_kl_resend(kl_slot *s); /* s just went down: move its operations to other connections */
void pl_kl_hedge(kl_slot *s);  /* s has been silent half a timeout: copy its operations to another server */
int pl_kl_start(parley_key_provider *self, parley_key_op *op);
void pl_kl_cancel(parley_key_provider *p, parley_key_op *op);

#endif
