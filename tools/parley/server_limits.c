/*
 * server_limits.c - connection cap and handshake deadline for `parley server`.
 *
 * Each connection is a thread with blocking reads (SO_RCVTIMEO bounds one
 * read, not the handshake). The watchdog thread walks the open slots a few
 * times a second and shuts down the socket of a handshake past its deadline;
 * the connection's own thread then sees EOF and fails the handshake, so the
 * watchdog never touches the TLS state. A slot is unlinked under the lock
 * before its descriptor is closed, so the watchdog never shuts down a reused
 * descriptor number.
 */
#include "server_limits.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct conn_slot {
    int fd;
    int64_t deadline_ms;
    atomic_int hs_done, timed_out;
    conn_slot *prev, *next;
};

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static conn_slot *g_head;
static int g_open, g_max, g_hs_ms;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *watchdog(void *arg)
{
    (void)arg;
    for (;;) {
        struct timespec tick = {0, 100 * 1000 * 1000};
        nanosleep(&tick, NULL);
        int64_t now = now_ms();
        pthread_mutex_lock(&g_lock);
        for (conn_slot *s = g_head; s; s = s->next)
            if (!atomic_load(&s->hs_done) && !atomic_load(&s->timed_out) && now >= s->deadline_ms) {
                atomic_store(&s->timed_out, 1);
                shutdown(s->fd, SHUT_RDWR);
            }
        pthread_mutex_unlock(&g_lock);
    }
    return NULL;
}

int limits_init(int max_conns, int hs_timeout_ms)
{
    g_max = max_conns;
    g_hs_ms = hs_timeout_ms;
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
        s->deadline_ms = now_ms() + g_hs_ms;
        s->next = g_head;
        if (g_head) g_head->prev = s;
        g_head = s;
        g_open++;
    }
    pthread_mutex_unlock(&g_lock);
    return s;
}

void limits_handshake_done(conn_slot *s) { atomic_store(&s->hs_done, 1); }

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
