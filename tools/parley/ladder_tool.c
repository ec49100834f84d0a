/* ladder_tool.c - the ladder in `parley client --ladder FILE` (one page, the
 * last connection) and `parley server --ladder-dir DIR --ladder-max N` (one
 * page per connection, each collected on the connection's own thread). */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "ladder.h"

/* ------------------------------------------------------------- client */

static ladder g_client;
static int g_client_on;

void ladder_client_start(parley_config *cfg, FILE *also_trace)
{
    ladder_init(&g_client, 0);
    g_client_on = 1;
    if (also_trace) {
        g_client.forward = tool_trace; /* --trace still prints */
        g_client.forward_arg = also_trace;
    }
    parley_config_set_trace(cfg, ladder_trace, &g_client);
}

void ladder_client_next(void)
{
    if (g_client_on) ladder_reset(&g_client);
}

int ladder_client_save(const char *path, const char *target)
{
    char title[512];
    int rc = 0;
    if (!g_client_on) return 0;
    snprintf(title, sizeof title, "parley client to %s", target);
    if (ladder_save(&g_client, path, title, 0) < 0) {
        fprintf(stderr, "parley: cannot write the ladder %s: %s\n", path, strerror(errno));
        rc = -1;
    }
    ladder_free(&g_client);
    g_client_on = 0;
    return rc;
}

/* ------------------------------------------------------------- server */

/* The server serves each connection on its own thread (server.c), and the
 * trace callback runs on the thread driving the handshake: a thread-local
 * ladder is the connection's without any lookup. */
static _Thread_local ladder *tl_ladder;
static const char *g_dir;
static int g_max, g_written, g_full_logged;
static FILE *g_also;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;

static void server_trace(void *arg, const parley_conn *conn, const parley_trace_event *ev)
{
    (void)arg;
    if (g_also) tool_trace(g_also, conn, ev);
    if (tl_ladder) ladder_trace(tl_ladder, conn, ev);
}

void ladder_server_setup(parley_config *cfg, const char *dir, int max_pages, int also_trace)
{
    g_dir = dir;
    g_max = max_pages;
    g_also = also_trace ? stdout : NULL;
    parley_config_set_trace(cfg, server_trace, NULL);
}

void ladder_server_begin(void)
{
    if (!g_dir) return;
    /* Past --ladder-max (and once that was said), a connection collects
     * nothing: the cap bounds the work as well as the files. */
    pthread_mutex_lock(&g_lock);
    int done = g_written >= g_max && g_full_logged;
    pthread_mutex_unlock(&g_lock);
    if (done) return;
    tl_ladder = calloc(1, sizeof *tl_ladder);
    if (tl_ladder) ladder_init(tl_ladder, 1);
}

void ladder_server_end(unsigned long id, const char *peer)
{
    ladder *l = tl_ladder;
    tl_ladder = NULL;
    if (!l) return;
    /* --ladder-max: a client decides how many connections there are, so the
     * pages stop at N (per process: per worker with --workers). */
    int take = 0, log_full = 0;
    pthread_mutex_lock(&g_lock);
    if (l->n && g_written < g_max) take = ++g_written;
    else if (l->n && !g_full_logged) log_full = g_full_logged = 1;
    pthread_mutex_unlock(&g_lock);
    if (log_full)
        fprintf(stderr, "parley: --ladder-max %d pages written; no more ladders from this process\n", g_max);
    if (take) {
        /* pid and connection id: unique across workers and connections. */
        char path[4096], title[256];
        snprintf(path, sizeof path, "%s/ladder-%ld-%06lu.html", g_dir, (long)getpid(), id);
        snprintf(title, sizeof title, "parley server: connection %lu from %s", id, peer);
        if (ladder_save(l, path, title, 1) < 0)
            fprintf(stderr, "parley: [%lu] cannot write the ladder %s: %s\n", id, path, strerror(errno));
    }
    ladder_free(l);
    free(l);
}
