/*
 * proxy.c - `parley proxy`: terminates TLS and forwards the plaintext to a
 * backend and back. Each worker runs one libuv loop driving Parley's sans-I/O
 * core: bytes from the client socket go into parley_conn_recv_bytes, records
 * out of parley_conn_pending_output go to uv_write, decrypted data to the
 * backend. Nothing blocks: a connection waiting on a keyless operation sits
 * on a list, and the provider's completion notice (a uv_async) drives the
 * ones whose operation is done.
 *
 * This file: the options, the workers, the accept loop and the signals; the
 * other proxy_*.c files are listed in proxy.h.
 */
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "options.h"
#include "proxy.h"
#include "workers.h"

/* One worker's state (each worker is a process with one loop). */
uv_loop_t *g_loop;
static parley_config *g_cfg;
const proxy_opts *g_opts;
static server_opts g_tls; /* this worker's TLS options (its own Redis cache) */
static uv_tcp_t g_listener;
int g_conns, g_draining;

static void on_dropped_close(uv_handle_t *h) { free(h); }

static void on_connection(uv_stream_t *server, int status)
{
    if (status < 0) return;
    proxy_conn *pc = calloc(1, sizeof *pc);
    if (!pc) {
        /* Accept and close it: a connection left unaccepted makes libuv stop
         * watching the listener until one is accepted, for good. */
        uv_tcp_t *t = malloc(sizeof *t);
        if (!t) return;
        uv_tcp_init(g_loop, t);
        uv_accept(server, (uv_stream_t *)t);
        uv_close((uv_handle_t *)t, on_dropped_close);
        return;
    }
    g_conns++;
    uv_tcp_init(g_loop, &pc->client);
    pc->client.data = pc;
    pc->handles = 2; /* client and timer */
    uv_timer_init(g_loop, &pc->timer);
    pc->timer.data = pc;
    pc->started = pc->last_active = now_ms();
    if (uv_accept(server, (uv_stream_t *)&pc->client) != 0) {
        pc->why = "accept failed";
        conn_close(pc, pc->why);
        return;
    }
    int len = sizeof pc->peer_addr;
    uv_tcp_getpeername(&pc->client, (struct sockaddr *)&pc->peer_addr, &len);
    len = sizeof pc->local_addr;
    uv_tcp_getsockname(&pc->client, (struct sockaddr *)&pc->local_addr, &len);
    char h[64] = "?", p[16] = "?";
    getnameinfo((struct sockaddr *)&pc->peer_addr, sizeof pc->peer_addr, h, sizeof h, p, sizeof p, NI_NUMERICHOST | NI_NUMERICSERV);
    snprintf(pc->peer, sizeof pc->peer, "%s:%s", h, p);
    uv_timer_start(&pc->timer, on_timer, PROXY_TICK_MS, PROXY_TICK_MS);
    g_count.accepted++;
    if (g_conns > g_opts->max_conns) {
        g_count.rejected++;
        conn_close(pc, "over --max-conns");
        return;
    }
    pc->tls = parley_conn_new_server(g_cfg);
    if (!pc->tls) {
        conn_close(pc, "cannot make a TLS connection");
        return;
    }
    parley_conn_set_userdata(pc->tls, pc);
    uv_tcp_nodelay(&pc->client, 1);
    uv_read_start((uv_stream_t *)&pc->client, on_alloc, on_client_read);
}

/* fd > 0: the socket the --workers supervisor made for every worker, already
 * listening with the backlog it chose; uv_listen calls listen() again, which
 * on Linux sets the backlog anew, so the same value is given here (or one
 * worker's 511 would be the whole shared queue's). */
static int listen_on(const char *spec, int fd, int backlog, uv_tcp_t *h, uv_connection_cb cb)
{
    if (fd <= 0 && (fd = tool_bind(spec)) < 0) return -1;
    uv_tcp_init(g_loop, h);
    int rc = uv_tcp_open(h, fd);
    if (!rc) rc = uv_listen((uv_stream_t *)h, backlog, cb);
    if (rc) errno = -rc; /* libuv's errors are negated errno values: the caller prints strerror */
    return rc ? -1 : 0;
}

/* The accept queue: 511 per worker, on the one socket they share. */
#define PROXY_BACKLOG 511
#define PROXY_STATUS_BACKLOG 511
static int proxy_backlog(const proxy_opts *o) { return PROXY_BACKLOG * (o->tls.workers > 1 ? o->tls.workers : 1); }

static uv_timer_t g_drain_timer;
static void on_drain_deadline(uv_timer_t *t)
{
    (void)t;
    fprintf(stderr, "parley proxy: %d connections still open after %d s; stopping anyway\n", g_conns, PROXY_DRAIN_MS / 1000);
    uv_stop(g_loop);
}

static void on_signal(uv_signal_t *s, int sig)
{
    if (sig == SIGHUP) {
        /* Each line names the pid: with --workers every worker logs its own. */
        if (g_opts->tls.keyless) {
            /* Keyless: the certificates stay; ticket keys are re-read. */
            if (parley_config_reload_ticket_keys(g_cfg) == PARLEY_OK)
                fprintf(stderr, "parley proxy: ticket keys reloaded (pid %d)\n", (int)getpid());
            return;
        }
        /* A new config from the same options re-reads certificates, CRLs and
         * ticket keys; open connections keep the config they started with
         * (each holds a reference), new ones get the new one. */
        parley_config *fresh = server_opts_config(&g_tls, 0);
        if (!fresh) {
            fprintf(stderr, "parley proxy: reload failed; the previous certificates stay (pid %d)\n", (int)getpid());
            return;
        }
        parley_config_free(g_cfg);
        g_cfg = fresh;
        fprintf(stderr, "parley proxy: certificates and ticket keys reloaded (pid %d)\n", (int)getpid());
        return;
    }
    /* SIGTERM or SIGINT: stop accepting, let the open connections finish
     * (PROXY_DRAIN_MS at most). With --workers this closes only this
     * worker's copy of the shared listening socket. A second SIGINT (Ctrl-C
     * again: a terminal sends it to the workers too) stops at once. */
    (void)s;
    if (g_draining) {
        if (sig == SIGINT) {
            fprintf(stderr, "parley proxy: SIGINT again: stopping now with %d connections open (pid %d)\n", g_conns, (int)getpid());
            uv_stop(g_loop);
        }
        return;
    }
    g_draining = 1;
    fprintf(stderr, "parley proxy: stopping (pid %d): %d connections to finish\n", (int)getpid(), g_conns);
    uv_close((uv_handle_t *)&g_listener, NULL);
    uv_timer_init(g_loop, &g_drain_timer);
    uv_timer_start(&g_drain_timer, on_drain_deadline, PROXY_DRAIN_MS, 0);
    uv_unref((uv_handle_t *)&g_drain_timer);
    if (g_conns == 0) uv_stop(g_loop);
}

static int proxy_run(void *arg)
{
    const proxy_opts *o = arg;
    g_opts = o;
    g_loop = uv_default_loop();
    g_tls = o->tls;
    if (o->redis && !(g_tls.cache = tool_redis_async_cache_new(o->redis, g_loop, on_lookup_done)))
        tool_die("--session-cache redis://HOST:PORT[/DB], got %s", o->redis);
    g_cfg = server_opts_config(&g_tls, 1);
    if (server_keyless) {
        uv_async_init(g_loop, &g_kl_async, on_key_ops_done);
        uv_unref((uv_handle_t *)&g_kl_async);
        parley_keyless_set_notify(server_keyless, kl_notify, NULL);
    }
    if (listen_on(o->tls.listen_on, o->tls.listen_fd, proxy_backlog(o), &g_listener, on_connection) < 0) {
        fprintf(stderr, "parley proxy: cannot listen on %s: %s\n", o->tls.listen_on, strerror(errno));
        return TOOL_EXIT_FAIL;
    }
    static uv_tcp_t status;
    if (o->status && listen_on(o->status, o->status_fd, PROXY_STATUS_BACKLOG, &status, on_status) < 0) {
        fprintf(stderr, "parley proxy: cannot listen on %s (--status): %s\n", o->status, strerror(errno));
        return TOOL_EXIT_FAIL;
    }
    if (o->status) uv_unref((uv_handle_t *)&status);
    signal(SIGPIPE, SIG_IGN);
    uv_signal_t term, intr, hup;
    uv_signal_init(g_loop, &term);
    uv_signal_start(&term, on_signal, SIGTERM);
    uv_signal_init(g_loop, &intr);
    uv_signal_start(&intr, on_signal, SIGINT);
    uv_signal_init(g_loop, &hup);
    uv_signal_start(&hup, on_signal, SIGHUP);
    worker_ready();
    uv_unref((uv_handle_t *)&term);
    uv_unref((uv_handle_t *)&intr);
    uv_unref((uv_handle_t *)&hup);
    printf("proxy listening on %s -> %s (pid %d)\n", o->tls.listen_on, o->backend, (int)getpid());
    fflush(stdout);
    uv_run(g_loop, UV_RUN_DEFAULT);
    if (server_keyless) parley_keyless_set_notify(server_keyless, NULL, NULL);
    fprintf(stderr, "parley proxy: stopped (pid %d)\n", (int)getpid());
    parley_config_free(g_cfg);
    server_opts_keyless_free();
    return 0;
}

static int proxy_run_worker(void *arg) { return proxy_run(arg); }

/* --early-data-limit: digits only (no sign, no suffix: "-1" must not become
 * 4 GiB nor "16k" 16), 1 .. PROXY_EARLY_MAX; the tickets advertise it as
 * max_early_data_size (RFC 8446 4.6.1). */
#define PROXY_EARLY_MAX (1u << 20)
static unsigned early_limit_arg(const char *s)
{
    unsigned long v = 0;
    size_t i = 0;
    for (; s[i] >= '0' && s[i] <= '9' && v <= PROXY_EARLY_MAX; i++) v = v * 10 + (unsigned long)(s[i] - '0');
    if (i == 0 || s[i] || v == 0 || v > PROXY_EARLY_MAX)
        tool_die("--early-data-limit wants a number of bytes from 1 to %u, not '%s'", PROXY_EARLY_MAX, s);
    return (unsigned)v;
}

int tool_proxy(int argc, char **argv)
{
    int check = 0;
    tool_config_load(&argc, &argv); /* --config FILE: its options first */
    proxy_opts o = {.tls = {.listen_on = "127.0.0.1:8443", .kl_timeout = 2000, .kl_pool = 2},
                    .hs_timeout_ms = 10000,
                    .idle_timeout_ms = 60000,
                    .early_limit = 16384};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int at = tool_opt_begin(i);
#define NEXT() tool_opt_value(argc, argv, &i)
        if (!strcmp(a, "--backend")) o.backend = NEXT();
        else if (!strcmp(a, "--status")) o.status = NEXT();
        else if (!strcmp(a, "--proxy-protocol")) o.proxy_protocol = 1;
        else if (!strcmp(a, "--early-data")) o.early_data = 1;
        else if (!strcmp(a, "--early-data-limit")) o.early_limit = early_limit_arg(NEXT());
        else if (!strcmp(a, "--max-conns")) o.max_conns = (int)tool_num_arg(a, NEXT(), 1, 1000000);
        else if (!strcmp(a, "--handshake-timeout")) o.hs_timeout_ms = tool_ms_arg(a, NEXT(), 3600);
        else if (!strcmp(a, "--idle-timeout")) o.idle_timeout_ms = tool_ms_arg(a, NEXT(), 86400);
        else if (!strcmp(a, "--check-config")) check = 1;
        else if (!server_opt(&o.tls, argc, argv, &i)) tool_die("unknown proxy option %s (see parley --help)", a);
#undef NEXT
        tool_opt_end(at, i);
    }
    if (!o.backend) tool_die("parley proxy needs --backend HOST:PORT");
    if (o.max_conns == 0) {
        /* Default: as many as the descriptor limit allows (each connection
         * holds two, client and backend; some are kept for listeners, the
         * status port and the key server), so a flood of connections is
         * refused by the cap, with a log line, rather than by EMFILE. */
        struct rlimit rl;
        long fds = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY ? (long)rl.rlim_cur : 65536;
        o.max_conns = fds > 128 ? (int)((fds - 64) / 2) : 32;
    }
    char host[256], port[32];
    struct addrinfo hints = {0}, *res;
    hints.ai_socktype = SOCK_STREAM;
    if (tool_split_hostport(o.backend, host, sizeof host, port, sizeof port) < 0 || getaddrinfo(host, port, &hints, &res) != 0)
        tool_opt_point(o.backend), tool_die("cannot resolve the backend %s", o.backend);
    memcpy(&g_backend, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    /* 0-RTT: off unless the operator says the backend may get requests that
     * can be replayed (RFC 8446 8, RFC 8470). The library enforces the limit
     * (more is unexpected_message): tickets advertise it. */
    if (!o.early_data && o.tls.max_early) {
        fprintf(stderr, "parley proxy: --max-early-data without --early-data: early data is not accepted\n");
        o.tls.max_early = 0;
    }
    if (o.early_data) {
        if (o.early_limit == 0) tool_die("--early-data-limit wants a number of bytes >= 1");
        if (!o.tls.max_early || o.tls.max_early > o.early_limit) o.tls.max_early = o.early_limit;
    }
    /* Workers share sessions through one shared-memory cache unless told otherwise. */
    if (o.tls.workers > 1 && !o.tls.cache_spec) o.tls.cache_spec = "shm:4m";
    if (o.tls.cache_spec && !strncmp(o.tls.cache_spec, "redis://", 8)) {
        /* Each worker makes its own non-blocking Redis cache on its loop. */
        o.redis = o.tls.hosts_cache = o.tls.cache_spec;
        o.tls.cache_spec = NULL;
    }
    server_opts_finish(&o.tls);
    if (check) return server_opts_check(&o.tls);
    if (o.tls.workers <= 1) return proxy_run(&o);
    /* The listening sockets are made here, before the fork: the workers
     * accept from one queue each (why: server.c, tool_server). */
    if ((o.tls.listen_fd = workers_listen(o.tls.listen_on, proxy_backlog(&o))) < 0) {
        fprintf(stderr, "parley proxy: cannot listen on %s: %s\n", o.tls.listen_on, strerror(errno));
        return TOOL_EXIT_FAIL;
    }
    if (o.status && (o.status_fd = workers_listen(o.status, PROXY_STATUS_BACKLOG)) < 0) {
        fprintf(stderr, "parley proxy: cannot listen on %s (--status): %s\n", o.status, strerror(errno));
        return TOOL_EXIT_FAIL;
    }
    workers_spec w = {.workers = o.tls.workers, .run = proxy_run_worker, .arg = &o, .what = "proxy", .drain_ms = PROXY_DRAIN_MS,
                      .fds = {o.tls.listen_fd, o.status_fd}, .nfds = o.status ? 2 : 1};
    int rc = workers_run(&w);
    server_opts_cache_free(&o.tls);
    return rc;
}
