/*
 * server_limits.c - what a client can make `parley server` hold, bounded:
 * connection slots (--max-conns), time (--handshake-timeout, then
 * --request-timeout), descriptors, and log lines.
 *
 * Each connection is a thread with blocking reads (SO_RCVTIMEO bounds one
 * read, not the handshake nor the request). The watchdog thread walks the
 * open slots a few times a second and shuts down the socket of a connection
 * past its deadline; the connection's own thread then sees EOF and gives up,
 * so the watchdog never touches the TLS state. A slot is unlinked under the
 * lock before its descriptor is closed, so the watchdog never shuts down a
 * reused descriptor number.
 *
 * A flood must not become a flood of log lines nor a busy loop: refusals and
 * accept() failures are logged at most once a second with counts (the
 * watchdog writes the line for events within the second), and accept() out
 * of descriptors (EMFILE) backs off instead of retrying at once.
 */
#include "server_limits.h"
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Descriptors kept for what is not a connection: stdio, the listener, the
 * spare below, keyless connections, files read on SIGHUP, the sanitizers. */
#define SERVER_FD_RESERVE 64

struct conn_slot {
    int fd;
    int64_t deadline_ms; /* under g_lock */
    int phase;           /* under g_lock: LIMITS_CUT_HANDSHAKE, then _REQUEST */
    atomic_int timed_out;
    conn_slot *prev, *next;
};

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static conn_slot *g_head;
static int g_open, g_max, g_hs_ms, g_req_ms;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- Log lines at most once a second ---- */

typedef struct ratelog ratelog;
struct ratelog {
    int64_t last_ms;         /* when the last line was written */
    unsigned long n, closed; /* events, connections closed unserved, since */
    int err;
    char peer[96];
    void (*print)(const ratelog *);
};

static void print_refused(const ratelog *r)
{
    fprintf(stderr, "parley: refused: %d connections open (--max-conns): %lu connection%s closed at once since the last such line, the last from %s\n",
            g_max, r->n, r->n == 1 ? "" : "s", r->peer);
}

static void print_accept_failed(const ratelog *r)
{
    fprintf(stderr, "parley: accept failed: %s: %lu time%s since the last such line, %lu connection%s closed unserved\n",
            strerror(r->err), r->n, r->n == 1 ? "" : "s", r->closed, r->closed == 1 ? "" : "s");
}

static pthread_mutex_t g_log_lock = PTHREAD_MUTEX_INITIALIZER;
static ratelog g_refused = {.last_ms = INT64_MIN / 2, .print = print_refused};
static ratelog g_accept = {.last_ms = INT64_MIN / 2, .print = print_accept_failed};

/* Under g_log_lock: write the line if there is something to say and the last
 * one is a second old. */
static void ratelog_flush(ratelog *r, int64_t now)
{
    if (!r->n || now - r->last_ms < 1000) return;
    r->print(r);
    r->n = r->closed = 0;
    r->last_ms = now;
}

void limits_refused(const char *peer)
{
    pthread_mutex_lock(&g_log_lock);
    g_refused.n++;
    snprintf(g_refused.peer, sizeof g_refused.peer, "%s", peer);
    ratelog_flush(&g_refused, now_ms());
    pthread_mutex_unlock(&g_log_lock);
}

/* A descriptor kept in reserve for accept() at EMFILE: closed to accept (and
 * close) the waiting connection, then reopened. Without it the connection
 * stays queued, poll says readable for ever and its client hangs. */
static int g_spare = -1;

static void nap_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL); /* EINTR (SIGHUP) only shortens the back-off */
}

void limits_accept_failed(int lfd, int err)
{
    unsigned long closed = 0;
    if ((err == EMFILE || err == ENFILE) && g_spare >= 0) {
        /* Linux's accept() fails at EMFILE before looking at the queue, so
         * wait for a connection (100 ms at most, or this is a busy loop). */
        struct pollfd p = {.fd = lfd, .events = POLLIN};
        if (poll(&p, 1, 100) > 0) {
            close(g_spare);
            int fd = accept(lfd, NULL, NULL);
            if (fd >= 0) {
                close(fd);
                closed = 1;
            }
            g_spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
            if (fd < 0) nap_ms(100); /* the spare's number went elsewhere (ENFILE: to another process) */
        }
    } else {
        nap_ms(100);
        if ((err == EMFILE || err == ENFILE) && g_spare < 0) g_spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
    }
    pthread_mutex_lock(&g_log_lock);
    g_accept.n++;
    g_accept.closed += closed;
    g_accept.err = err;
    ratelog_flush(&g_accept, now_ms());
    pthread_mutex_unlock(&g_log_lock);
}

/* ---- Descriptors ---- */

int limits_fit_descriptors(int max_conns) { return tool_fit_descriptors(max_conns, SERVER_FD_RESERVE, "parley"); }

/* ---- Slots and deadlines ---- */

static void *watchdog(void *arg)
{
    (void)arg;
    for (;;) {
        nap_ms(100);
        int64_t now = now_ms();
        pthread_mutex_lock(&g_lock);
        for (conn_slot *s = g_head; s; s = s->next)
            if (!atomic_load(&s->timed_out) && now >= s->deadline_ms) {
                atomic_store(&s->timed_out, s->phase);
                shutdown(s->fd, SHUT_RDWR);
            }
        pthread_mutex_unlock(&g_lock);
        pthread_mutex_lock(&g_log_lock);
        ratelog_flush(&g_refused, now);
        ratelog_flush(&g_accept, now);
        pthread_mutex_unlock(&g_log_lock);
    }
    return NULL;
}

int limits_init(int max_conns, int hs_timeout_ms, int req_timeout_ms)
{
    g_max = max_conns;
    g_hs_ms = hs_timeout_ms;
    g_req_ms = req_timeout_ms;
    g_spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
    pthread_t t;
    if (pthread_create(&t, NULL, watchdog, NULL) != 0) return -1;
    pthread_detach(t);
    return 0;
}

conn_slot *limits_admit(int fd)
{
    pthread_mutex_lock(&g_lock);
    if (g_open >= g_max) {
        pthread_mutex_unlock(&g_lock);
        return NULL;
    }
    conn_slot *s = calloc(1, sizeof *s);
    if (s) {
        s->fd = fd;
        s->phase = LIMITS_CUT_HANDSHAKE;
        s->deadline_ms = now_ms() + g_hs_ms;
        s->next = g_head;
        if (g_head) g_head->prev = s;
        g_head = s;
        g_open++;
    }
    pthread_mutex_unlock(&g_lock);
    return s;
}

void limits_handshake_done(conn_slot *s)
{
    /* The request gets its own deadline: without one a client that sends a
     * byte every few seconds holds the slot for as long as the request buffer
     * lasts (16 KiB: some 45 hours at one byte in 9 s). */
    pthread_mutex_lock(&g_lock);
    s->phase = LIMITS_CUT_REQUEST;
    s->deadline_ms = now_ms() + g_req_ms;
    pthread_mutex_unlock(&g_lock);
}

int limits_timed_out(const conn_slot *s) { return atomic_load(&((conn_slot *)s)->timed_out); }

void limits_release(conn_slot *s)
{
    if (!s) return;
    pthread_mutex_lock(&g_lock);
    if (s->prev) s->prev->next = s->next;
    else g_head = s->next;
    if (s->next) s->next->prev = s->prev;
    g_open--;
    pthread_mutex_unlock(&g_lock);
    free(s);
}

int limits_open(void)
{
    pthread_mutex_lock(&g_lock);
    int n = g_open;
    pthread_mutex_unlock(&g_lock);
    return n;
}
