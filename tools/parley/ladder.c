/* ladder.c - the ladder's collector: trace events in, steps out (what each
 * is drawn as, its direction, its time). Only the text of the events is
 * kept, copied and cut to LADDER_MAX_TEXT; the page escapes it. */
#include "ladder.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

void ladder_init(ladder *l, int is_server)
{
    memset(l, 0, sizeof *l);
    l->is_server = is_server;
    l->t0 = -1;
}

void ladder_reset(ladder *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->steps[i].name);
        free(l->steps[i].detail);
    }
    l->n = 0;
    l->dropped = 0;
    l->t0 = -1;
}

void ladder_free(ladder *l)
{
    ladder_reset(l);
    free(l->steps);
    l->steps = NULL;
    l->cap = 0;
}

static char *copy_cut(const char *s)
{
    size_t n = s ? strnlen(s, LADDER_MAX_TEXT) : 0;
    char *d = malloc(n + 1);
    if (!d) return NULL;
    if (n) memcpy(d, s, n);
    d[n] = 0;
    return d;
}

/* What the library's labels mean for the picture (src/trace.c, src/record/,
 * src/handshake/: "session resumed", "PSK accepted", "HelloRetryRequest"). */
static void classify(ladder_step *s, const parley_trace_event *ev, int conn_is_server)
{
    int sent = ev->kind == PARLEY_TRACE_MESSAGE_SENT || ev->kind == PARLEY_TRACE_RECORD_SENT;
    s->to_server = sent != conn_is_server; /* a client sends to the server, a server to the client */
    switch (ev->kind) {
    case PARLEY_TRACE_MESSAGE_SENT:
    case PARLEY_TRACE_MESSAGE_RECEIVED:
        s->kind = LADDER_MESSAGE;
        break;
    case PARLEY_TRACE_RECORD_SENT:
    case PARLEY_TRACE_RECORD_RECEIVED:
        s->kind = ev->msg_type == 21 ? LADDER_ALERT : LADDER_RECORD; /* content type 21: alert (RFC 8446 5.1) */
        break;
    case PARLEY_TRACE_KEYS:
        s->kind = LADDER_KEYS;
        break;
    default:
        s->kind = LADDER_INFO;
        break;
    }
    s->hrr = strcmp(ev->name, "HelloRetryRequest") == 0;
    s->resumption = strcmp(ev->name, "session resumed") == 0 || strcmp(ev->name, "PSK accepted") == 0 ||
                    (strcmp(ev->name, "ServerHello") == 0 && ev->detail && strstr(ev->detail, "pre_shared_key: "));
}

int ladder_add(ladder *l, const parley_trace_event *ev, int conn_is_server, double ms)
{
    if (l->n == LADDER_MAX_STEPS) {
        l->dropped++;
        return 0;
    }
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 32;
        ladder_step *ns = realloc(l->steps, nc * sizeof *ns);
        if (!ns) return -1;
        l->steps = ns;
        l->cap = nc;
    }
    ladder_step *s = &l->steps[l->n];
    memset(s, 0, sizeof *s);
    classify(s, ev, conn_is_server);
    s->length = ev->length;
    s->name = copy_cut(ev->name ? ev->name : "");
    s->detail = copy_cut(ev->detail ? ev->detail : "");
    if (!s->name || !s->detail) {
        free(s->name);
        free(s->detail);
        return -1;
    }
    if (ms >= 0 && l->t0 < 0) l->t0 = ms;
    s->ms = ms >= 0 ? ms - l->t0 : -1;
    l->n++;
    return 0;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

void ladder_trace(void *arg, const parley_conn *conn, const parley_trace_event *ev)
{
    ladder *l = arg;
    if (l->forward) l->forward(l->forward_arg, conn, ev);
    (void)ladder_add(l, ev, parley_conn_is_server(conn), now_ms());
}
