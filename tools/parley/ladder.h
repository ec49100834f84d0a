/* ladder.h - the handshake as a picture (`parley client --ladder FILE`,
 * `parley server --ladder-dir DIR`): a collector turns the library's trace
 * events into steps (ladder.c) and a writer draws them as one
 * self-contained HTML page (ladder_html.c). docs/ladder.md. */
#ifndef PARLEY_TOOL_LADDER_H
#define PARLEY_TOOL_LADDER_H

#include <parley/parley.h>
#include <stddef.h>
#include <stdio.h>

/* What a step is drawn as. */
enum ladder_kind {
    LADDER_MESSAGE = 1, /* a handshake message: an arrow */
    LADDER_RECORD,      /* a CCS or early-data record: a thin arrow */
    LADDER_ALERT,       /* an alert record: a red arrow */
    LADDER_KEYS,        /* a secret derived or keys switched on, on our side */
    LADDER_INFO         /* a decision (resumption, HRR, record size ...) */
};

/* Bounds: a peer decides how many events a connection has (KeyUpdates,
 * alerts) and how long some details are, so a page cannot grow past them. */
#define LADDER_MAX_STEPS 200
#define LADDER_MAX_TEXT 4096

typedef struct {
    int kind;        /* enum ladder_kind */
    int to_server;   /* arrows: 1 client -> server, 0 server -> client */
    int hrr;         /* a HelloRetryRequest (message or decision) */
    int resumption;  /* resumption shown as such (abbreviated handshake, PSK) */
    size_t length;   /* bytes on the wire, 0 when none */
    double ms;       /* since the first step; < 0 when unknown */
    char *name, *detail;
} ladder_step;

typedef struct {
    int is_server;   /* whose view: the page marks that party "(parley)" */
    ladder_step *steps;
    size_t n, cap;
    size_t dropped;  /* steps past LADDER_MAX_STEPS, counted only */
    double t0;       /* monotonic ms of the first step, -1 before */
    /* Also hand each event to this (e.g. tool_trace for --trace). */
    parley_trace_fn forward;
    void *forward_arg;
} ladder;

void ladder_init(ladder *l, int is_server);
void ladder_reset(ladder *l); /* forget the steps (a new connection) */
void ladder_free(ladder *l);
/* Add one trace event; ms < 0: not timed. 0, or -1 out of memory. */
int ladder_add(ladder *l, const parley_trace_event *ev, int conn_is_server, double ms);
/* A parley_trace_fn; arg is the ladder. Times the event. */
void ladder_trace(void *arg, const parley_conn *conn, const parley_trace_event *ev);

/* The page. title: free text (escaped). 0, or -1 when writing failed. */
int ladder_write_html(const ladder *l, FILE *f, const char *title);
/* Write the page to path (0644, replacing). 0, or -1 with errno. */
/* exclusive: never open an existing name (the server's pages, in a directory
 * others may write); the client's --ladder FILE is replaced like any output. */
int ladder_save(const ladder *l, const char *path, const char *title, int exclusive);
/* s with & < > " ' as entities and control bytes as U+FFFD-free "\xNN". */
void ladder_escape(FILE *f, const char *s);

/* ladder_tool.c: the client's page (--ladder FILE): start once (also_trace:
 * --trace's stream, or NULL), next before each connection, save at the end. */
void ladder_client_start(parley_config *cfg, FILE *also_trace);
void ladder_client_next(void);
int ladder_client_save(const char *path, const char *target);

/* The server's pages, one per connection (thread-local collector). */
/* Set once before serving: the directory and the most pages this process writes. */
void ladder_server_setup(parley_config *cfg, const char *dir, int max_pages, int also_trace);
/* Around each connection, on its own thread. */
void ladder_server_begin(void);
void ladder_server_end(unsigned long id, const char *peer);

#endif
