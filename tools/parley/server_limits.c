/*
 * server_limits.c - what a client can make `parley server` hold, bounded:
 * connection slots (--max-conns) and time (--handshake-timeout, then
 * --request-timeout).
 *
 * Each connection is a thread with blocking reads (SO_RCVTIMEO bounds one
 * read, not the handshake nor the request). The watchdog thread walks the
 * open slots a few times a second and shuts down the socket of a connection
 * past its deadline; the connection's own thread then sees EOF and gives up,
 * so the watchdog never touches the TLS state. A slot is unlinked under the
 * lock before its descriptor is closed, so the watchdog never shuts down a
 * reused descriptor number.
 */
#include "server_limits.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

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

static void nap_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

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
    }
    return NULL;
}

int limits_init(int max_conns, int hs_timeout_ms, int req_timeout_ms)
{
    g_max = max_conns;
    g_hs_ms = hs_timeout_ms;
    g_req_ms = req_timeout_ms;
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
