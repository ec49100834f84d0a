/*
 * keyserver_limits.c - `parley keyserver`: who gets a connection slot, and
 * the descriptors behind them (docs/keyless.md, "Limits").
 *
 * At most --max-conns connections are open. Past the cap a new connection
 * takes the place of the oldest one still unauthenticated; when every one is
 * authenticated the new one is accepted and closed at once. So a flood of
 * half-open connections can neither run the server out of descriptors nor
 * lock out an edge that (re)connects, and never touches an authenticated
 * connection.
 */
#include <stdlib.h>
#include <sys/resource.h>

#include "keyserver.h"

const char KS_EVICTED[] = "evicted";

/* The list of connections still handshaking, oldest first. */
void ks_hs_unlink(ks_client *c)
{
    ks_server *s = c->srv;
    if (!c->in_hs) return;
    /* Lingering connections are a prefix of the list: its last may go. */
    if (s->linger_tail == c) s->linger_tail = c->hs_prev;
    if (c->hs_prev) c->hs_prev->hs_next = c->hs_next;
    else s->hs_head = c->hs_next;
    if (c->hs_next) c->hs_next->hs_prev = c->hs_prev;
    else s->hs_tail = c->hs_prev;
    c->hs_prev = c->hs_next = NULL;
    c->in_hs = 0;
}

void ks_hs_append(ks_client *c)
{
    ks_server *s = c->srv;
    c->hs_prev = s->hs_tail;
    c->hs_next = NULL;
    if (s->hs_tail) s->hs_tail->hs_next = c;
    else s->hs_head = c;
    s->hs_tail = c;
    c->in_hs = 1;
}

/* A lingering connection only delivers an alert: it goes ahead of every
 * connection still trying to authenticate, behind those that began to
 * linger before it (the oldest, whose client has had longest to read its
 * alert, is evicted first). */
void ks_hs_add_lingering(ks_client *c)
{
    ks_server *s = c->srv;
    if (c->in_hs) ks_hs_unlink(c);
    ks_client *after = s->linger_tail; /* NULL: at the head */
    c->hs_prev = after;
    c->hs_next = after ? after->hs_next : s->hs_head;
    if (c->hs_next) c->hs_next->hs_prev = c;
    else s->hs_tail = c;
    if (after) after->hs_next = c;
    else s->hs_head = c;
    s->linger_tail = c;
    c->in_hs = 1;
}

/* Over --max-conns: one log line a second at most, with counts, so that a
 * flood does not become a flood of log lines. */
static void ks_over_log(ks_server *s)
{
    fprintf(stderr, "parley keyserver: over --max-conns (%d open): refused %lu, evicted %lu unauthenticated (oldest first)\n",
            s->nconns, s->refused, s->evicted);
    s->refused = s->evicted = 0;
}

static void ks_on_over_timer(uv_timer_t *t)
{
    ks_server *s = t->data;
    if (s->refused || s->evicted) {
        ks_over_log(s);
        uv_timer_start(t, ks_on_over_timer, 1000, 0);
    }
}

void ks_over_event(ks_server *s)
{
    if (uv_is_active((uv_handle_t *)&s->over_timer)) return; /* logged within the second: counted for the next line */
    ks_over_log(s);
    uv_timer_start(&s->over_timer, ks_on_over_timer, 1000, 0);
}

static void ks_on_refused_close(uv_handle_t *h) { free(h); }

void ks_drop_new(ks_server *s, uv_stream_t *listener)
{
    /* Accepted, or libuv would stop watching the listener until it is. */
    uv_tcp_t *t = malloc(sizeof *t);
    if (!t) return;
    uv_tcp_init(s->loop, t);
    uv_accept(listener, (uv_stream_t *)t);
    uv_close((uv_handle_t *)t, ks_on_refused_close);
}

int ks_admit(ks_server *s, uv_stream_t *listener)
{
    if (s->nconns < s->max_conns) return 1;
    if (!s->hs_head) {
        /* Every connection is authenticated: accept this one (so the
         * kernel's queue does not fill) and close it at once. */
        ks_drop_new(s, listener);
        s->refused++;
        ks_over_event(s);
        return 0;
    }
    /* The oldest unauthenticated connection makes room: a legitimate
     * handshake takes milliseconds, so to keep one from completing a flood
     * must open --max-conns connections while it runs. */
    if (s->hs_head->lingering) {
        ks_close(s->hs_head, "lingered"); /* its alert had its chance: not counted as an eviction */
        return 1;
    }
    s->evicted++;
    ks_close(s->hs_head, KS_EVICTED);
    return 1;
}

int ks_fit_descriptors(int max_conns) { return tool_fit_descriptors(max_conns, KS_FD_RESERVE, "parley keyserver"); }
