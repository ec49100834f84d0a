/*
 * stress.c - many threads of in-memory handshakes over shared configs, built
 * for ThreadSanitizer (`make test-tsan`, `make stress-tsan`; issue #20).
 *
 * N threads (default 8) each loop over handshakes against the same configs:
 *   A  a server with a local ECDSA key, the in-process session cache, tickets
 *      on, sealed under a ring derived from a ticket secret rotating every
 *      second (parley_config_set_ticket_secret + set_ticket_rotation(1));
 *   B  a server whose key is held by an asynchronous provider completing
 *      operations on two threads of its own (some connections are freed while
 *      their operation is pending: cancellation), the shared-memory session
 *      cache, tickets off (TLS 1.3 tickets are single-use cache keys), the
 *      ring from a ticket key file that two other threads rewrite and reload
 *      (a bad file now and then: the old ring stays, an error is reported);
 *   K  (with --keyless) a server whose key is at a `parley keyserver` that
 *      this program starts, kills and restarts during the run.
 * Each against one TLS 1.3-only and one TLS 1.2-only client config, shared
 * too. Clients hand their sessions to each other through a small shared
 * store, so resumption crosses threads through the servers' caches and
 * tickets. Every handshake's result is checked; counts are printed at the end
 * and the exit status is non-zero on any unexpected failure.
 *
 * usage: parley_stress [--threads N] [--seconds S]
 *        [--keyless HOST:PORT --keyless-ca F --keyless-cert F --keyless-key F
 *         --keyless-chain F -- KEYSERVER ARGV...]
 */
#include "helpers.h"

#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define SLOTS 8
#define SESS_CAP 4096

enum { K_A13, K_A12, K_B13, K_B12, K_K13, K_K12, NKINDS };
static const char *kind_name[NKINDS] = {"local-key/mem-cache/tickets tls1.3", "local-key/mem-cache/tickets tls1.2",
                                        "async-key/shm-cache/key-file tls1.3", "async-key/shm-cache/key-file tls1.2",
                                        "keyless/mem-cache tls1.3", "keyless/mem-cache tls1.2"};

static parley_config *g_server[3], *g_client13, *g_client12;
static int g_nkinds = 4;
static atomic_int g_stop;
static atomic_int g_failed;

/* ---------------------------------------------------------------- counts */
typedef struct {
    atomic_long full, offered, resumed, cancelled, keyless_down;
} counts;
static counts g_counts[NKINDS];
static atomic_long g_reload_ok, g_reload_bad, g_async_ops, g_async_inline;

static void fail(const char *what, const char *detail)
{
    atomic_fetch_add(&g_failed, 1);
    fprintf(stderr, "stress: FAIL %s: %s\n", what, detail ? detail : "");
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A bounded pause for pacing background threads (not a synchronisation). */
static void pause_ms(int ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ------------------------------------------------- the shared session store */
typedef struct {
    pthread_mutex_t mu;
    size_t len[SLOTS];
    uint8_t buf[SLOTS][SESS_CAP];
} sess_store;
static sess_store g_store[NKINDS];

static size_t store_take(int kind, unsigned r, uint8_t *out)
{
    sess_store *s = &g_store[kind];
    pthread_mutex_lock(&s->mu);
    size_t n = s->len[r % SLOTS];
    if (n) memcpy(out, s->buf[r % SLOTS], n);
    pthread_mutex_unlock(&s->mu);
    return n;
}

static void store_put(int kind, unsigned r, const uint8_t *in, size_t n)
{
    sess_store *s = &g_store[kind];
    pthread_mutex_lock(&s->mu);
    memcpy(s->buf[r % SLOTS], in, n);
    s->len[r % SLOTS] = n;
    pthread_mutex_unlock(&s->mu);
}

/* ------------------------------------------------- the asynchronous provider
 * start() (on the handshake thread) queues the operation, or one time in five
 * signs at once; two worker threads sign with parley_key_sign and call
 * parley_key_op_complete. A job is freed only by the handshake thread that
 * started it (tl_job): after waiting for it, or after freeing the connection
 * (cancellation). cancel() (from parley_conn_free, while the op is pending)
 * marks the job so that no worker starts it, or waits for the worker running
 * it. */
typedef struct job {
    parley_key_op *op;
    int state; /* 0 queued, 1 running, 2 done */
    int cancelled;
    struct job *next;
} job;
typedef struct {
    parley_key_provider base;
    parley_key *key;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    job *jobs;
    int quit;
    pthread_t workers[2];
} async_provider;
static async_provider g_async;
/* Set while the keyless pool may have no connection to the key server:
 * from the start until keyless handshakes have worked for a second (the
 * pool connects in the background), and from just before the key server is
 * killed until its restart has worked for a second. The only times a
 * keyless failure is accepted. */
static atomic_int g_ks_window = 1;

static _Thread_local job *tl_job; /* the job this thread's connection started */

static int sign_op(parley_key *key, parley_key_op *op)
{
    const uint8_t *in;
    size_t inlen, siglen = 0;
    uint8_t sig[1024];
    parley_key_op_input(op, &in, &inlen);
    int ok = parley_key_sign(key, parley_key_op_scheme(op), in, inlen, sig, &siglen, sizeof sig) == PARLEY_OK;
    if (!ok) fail("async provider", "parley_key_sign failed");
    return parley_key_op_complete(op, ok, sig, siglen);
}

static int async_start(parley_key_provider *self, parley_key_op *op)
{
    async_provider *a = (async_provider *)self;
    if (tl_job) fail("async provider", "an operation started while this thread's previous one is out");
    if (atomic_fetch_add(&g_async_ops, 1) % 5 == 0) {
        atomic_fetch_add(&g_async_inline, 1);
        return sign_op(a->key, op) == PARLEY_OK ? PARLEY_OK : PARLEY_ERROR;
    }
    job *j = calloc(1, sizeof *j);
    if (!j) return PARLEY_ERROR;
    j->op = op;
    pthread_mutex_lock(&a->mu);
    j->next = a->jobs;
    a->jobs = j;
    pthread_cond_broadcast(&a->cv);
    pthread_mutex_unlock(&a->mu);
    tl_job = j;
    return PARLEY_WANT_KEY_OP;
}

static void async_cancel(parley_key_provider *self, parley_key_op *op)
{
    async_provider *a = (async_provider *)self;
    pthread_mutex_lock(&a->mu);
    /* cancel runs on the handshake thread that started the op: its job is
     * tl_job (searching the list by the op's address could find another
     * connection's stale job at a reused address). */
    job *j = tl_job;
    if (j && (j->op != op || j->state == 2 || j->cancelled)) j = NULL;
    if (j) {
        while (j->state == 1) pthread_cond_wait(&a->cv, &a->mu);
        j->cancelled = 1;
    }
    pthread_mutex_unlock(&a->mu);
}

/* The handshake thread, with its job: wait until a worker is done with it
 * (or, when cancelled, until none runs it), then free it. */
static void async_finish_job(async_provider *a, int cancelled)
{
    job *j = tl_job;
    if (!j) return;
    tl_job = NULL;
    pthread_mutex_lock(&a->mu);
    while (j->state == 1 || (!cancelled && j->state == 0)) pthread_cond_wait(&a->cv, &a->mu);
    if (cancelled && j->state == 0 && !j->cancelled) fail("async provider", "a freed connection's queued op was not cancelled");
    job **pp = &a->jobs;
    while (*pp != j) pp = &(*pp)->next;
    *pp = j->next;
    pthread_mutex_unlock(&a->mu);
    free(j);
}

static void *async_worker(void *arg)
{
    async_provider *a = arg;
    pthread_mutex_lock(&a->mu);
    while (!a->quit) {
        job *j = a->jobs;
        while (j && (j->state != 0 || j->cancelled)) j = j->next;
        if (!j) {
            pthread_cond_wait(&a->cv, &a->mu);
            continue;
        }
        j->state = 1;
        pthread_mutex_unlock(&a->mu);
        sign_op(a->key, j->op); /* on this thread: the hand-over under test */
        pthread_mutex_lock(&a->mu);
        j->state = 2;
        pthread_cond_broadcast(&a->cv);
    }
    pthread_mutex_unlock(&a->mu);
    return NULL;
}

/* ------------------------------------------------- in-memory connection pair */
typedef struct {
    parley_conn *c, *s;
    int crc, src; /* the last results of parley_conn_handshake */
    uint8_t q[2][32768];
    size_t qlen[2];
} mpair;

static size_t pump(mpair *p)
{
    size_t moved = 0;
    for (int dir = 0; dir < 2; dir++) {
        parley_conn *from = dir ? p->s : p->c, *to = dir ? p->c : p->s;
        const uint8_t *d;
        size_t n, used = 0;
        parley_conn_pending_output(from, &d, &n);
        if (n > sizeof p->q[dir] - p->qlen[dir]) n = sizeof p->q[dir] - p->qlen[dir];
        memcpy(p->q[dir] + p->qlen[dir], d, n);
        p->qlen[dir] += n;
        parley_conn_output_sent(from, n);
        if (p->qlen[dir]) {
            parley_conn_recv_bytes(to, p->q[dir], p->qlen[dir], &used);
            memmove(p->q[dir], p->q[dir] + used, p->qlen[dir] - used);
            p->qlen[dir] -= used;
        }
        moved += n + used;
    }
    return moved;
}

/* Drive both sides; the server's pending key operations are waited for as
 * `wait` says. Returns 0 when both completed; with cancel_at_op, returns 1 as
 * soon as the server waits on an operation. */
enum { WAIT_NONE, WAIT_ASYNC, WAIT_KEYLESS };
static parley_key_provider *g_keyless;
static int run_handshake(mpair *p, int wait, int cancel_at_op)
{
    for (int i = 0; i < 200; i++) {
        int c = p->crc = parley_conn_handshake(p->c);
        int s = p->src = parley_conn_handshake(p->s);
        if (s == PARLEY_WANT_KEY_OP) {
            if (cancel_at_op) return 1;
            if (wait == WAIT_ASYNC) {
                if (!tl_job) return -1;
                async_finish_job(&g_async, 0);
            } else if (wait == WAIT_KEYLESS) {
                /* NULL: it completed already (the next call finds it done). */
                parley_key_op *op = parley_conn_pending_key_op(p->s);
                if (op) parley_keyless_wait(g_keyless, op);
            } else {
                return -1;
            }
        }
        size_t moved = pump(p);
        if (c == PARLEY_OK && s == PARLEY_OK) return 0;
        if (c == PARLEY_ERROR || s == PARLEY_ERROR) {
            pump(p); /* let the peer see the alert */
            parley_conn_handshake(p->c);
            parley_conn_handshake(p->s);
            return -1;
        }
        if (!moved && s != PARLEY_WANT_KEY_OP) return -1;
    }
    return -1;
}

/* Data both ways; the TLS 1.3 client processes the NewSessionTicket here. */
static int exchange_data(mpair *p)
{
    static const char msg[] = "stress data";
    for (int dir = 0; dir < 2; dir++) {
        parley_conn *a = dir ? p->s : p->c, *b = dir ? p->c : p->s;
        if (parley_conn_write(a, (const uint8_t *)msg, sizeof msg) != PARLEY_OK) return -1;
        uint8_t got[64];
        size_t have = 0;
        for (int i = 0; i < 20 && have < sizeof msg; i++) {
            pump(p);
            size_t n = 0;
            int rc = parley_conn_read(b, got + have, sizeof got - have, &n);
            if (rc == PARLEY_OK) have += n;
            else if (rc != PARLEY_WANT_READ) return -1;
        }
        if (have != sizeof msg || memcmp(got, msg, sizeof msg)) return -1;
    }
    return 0;
}

/* ------------------------------------------------- the handshake threads */
static void *worker(void *arg)
{
    unsigned id = (unsigned)(uintptr_t)arg, seed = id * 2654435761u + 1;
    uint8_t *sess = malloc(SESS_CAP);
    mpair *p = malloc(sizeof *p);
    if (!sess || !p) {
        fail("worker", "out of memory");
        return NULL;
    }
    for (unsigned it = 0; !atomic_load(&g_stop); it++) {
        seed = seed * 1103515245u + 12345u;
        int kind = (int)((it + id) % (unsigned)g_nkinds), srv = kind / 2, v13 = kind % 2 == 0;
        int wait = srv == 0 ? WAIT_NONE : srv == 1 ? WAIT_ASYNC : WAIT_KEYLESS;
        counts *ct = &g_counts[kind];
        p->qlen[0] = p->qlen[1] = 0;
        p->c = parley_conn_new_client(v13 ? g_client13 : g_client12, "localhost");
        p->s = parley_conn_new_server(g_server[srv]);
        if (!p->c || !p->s) {
            fail(kind_name[kind], "connection creation failed");
            parley_conn_free(p->c);
            parley_conn_free(p->s);
            continue;
        }
        /* Three times in four, offer a session some thread stored. */
        int offered = 0;
        size_t sl = (seed >> 8) % 4 ? store_take(kind, seed >> 12, sess) : 0;
        if (sl && parley_conn_set_session(p->c, sess, sl) == PARLEY_OK) offered = 1;
        /* One in eight key operations: free the connection while it is pending. */
        int cancel = wait != WAIT_NONE && (seed >> 16) % 8 == 0;
        int rc = run_handshake(p, wait, cancel);
        if (rc == 1) {
            atomic_fetch_add(&ct->cancelled, 1);
            parley_conn_free(p->c);
            parley_conn_free(p->s); /* the op is out: the provider is told to forget it */
            if (wait == WAIT_ASYNC) async_finish_job(&g_async, 1);
            continue;
        } else if (rc != 0) {
            const char *se = parley_conn_error_string(p->s), *ce = parley_conn_error_string(p->c);
            if (wait == WAIT_KEYLESS && atomic_load(&g_ks_window) && se && strstr(se, "private-key provider")) {
                atomic_fetch_add(&ct->keyless_down, 1); /* the key server is down */
            } else {
                char d[512];
                snprintf(d, sizeof d, "handshake failed (server %d \"%s\", client %d \"%s\")", p->src, se ? se : "",
                         p->crc, ce ? ce : "");
                fail(kind_name[kind], d);
            }
        } else if (parley_conn_version(p->c) != (v13 ? PARLEY_TLS1_3 : PARLEY_TLS1_2) ||
                   parley_conn_version(p->s) != parley_conn_version(p->c)) {
            fail(kind_name[kind], "wrong version");
        } else if (parley_conn_resumed(p->c) != parley_conn_resumed(p->s)) {
            fail(kind_name[kind], "client and server disagree on resumption");
        } else if (exchange_data(p) != 0) {
            fail(kind_name[kind], "application data did not arrive intact");
        } else {
            if (parley_conn_resumed(p->c)) atomic_fetch_add(&ct->resumed, 1);
            else atomic_fetch_add(&ct->full, 1);
            if (offered) atomic_fetch_add(&ct->offered, 1);
            size_t n = 0;
            if (parley_conn_get_session(p->c, sess, SESS_CAP, &n) == PARLEY_OK && n) store_put(kind, seed >> 20, sess, n);
        }
        parley_conn_free(p->c);
        parley_conn_free(p->s);
        async_finish_job(&g_async, 1); /* a job left out by a failed handshake */
    }
    free(sess);
    free(p);
    return NULL;
}

/* ------------------------------------------------- ticket key file reloads */
static pthread_mutex_t g_file_mu = PTHREAD_MUTEX_INITIALIZER;
static char g_keys_path[512];
static unsigned g_file_gen;

/* Rewrite the key file: a new sealing key first, the two before it after it
 * (so tickets sealed a moment ago still open); every fourth file is bad. */
static int write_keys_file(unsigned gen, int bad)
{
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.tmp", g_keys_path);
    FILE *f = fopen(tmp, "w");
    if (!f) return -1;
    if (bad) {
        fputs("not a ticket key\n", f);
    } else {
        for (unsigned k = gen; k + 3 > gen && k + 1 > 0; k--) {
            unsigned x = k * 2654435761u + 7;
            for (int i = 0; i < 96; i++) {
                x = x * 1103515245u + 12345u;
                fputc("0123456789abcdef"[(x >> 16) & 15], f);
            }
            fputc('\n', f);
            if (k == 0) break;
        }
    }
    if (fclose(f) != 0) return -1;
    return rename(tmp, g_keys_path);
}

static void *reloader(void *arg)
{
    (void)arg;
    while (!atomic_load(&g_stop)) {
        pthread_mutex_lock(&g_file_mu);
        unsigned gen = ++g_file_gen;
        if (write_keys_file(gen, gen % 4 == 0) != 0) fail("reloader", "cannot write the key file");
        pthread_mutex_unlock(&g_file_mu);
        if (parley_config_reload_ticket_keys(g_server[1]) == PARLEY_OK) atomic_fetch_add(&g_reload_ok, 1);
        else atomic_fetch_add(&g_reload_bad, 1); /* a bad file (the old ring stays) */
        pause_ms(50);
    }
    return NULL;
}

/* ------------------------------------------------- the key server */
static char **g_ks_argv;
static pid_t g_ks_pid;
static char g_ks_hostport[256];

static int ks_port_open(void)
{
    char host[256], *colon;
    snprintf(host, sizeof host, "%s", g_ks_hostport);
    if (!(colon = strrchr(host, ':'))) return 0;
    *colon = 0;
    struct addrinfo hints = {0}, *ai;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, colon + 1, &hints, &ai) != 0) return 0;
    int fd = socket(ai->ai_family, SOCK_STREAM, 0), ok = fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0;
    if (fd >= 0) close(fd);
    freeaddrinfo(ai);
    return ok;
}

static int ks_start(void)
{
    if (posix_spawn(&g_ks_pid, g_ks_argv[0], NULL, NULL, g_ks_argv, environ) != 0) return -1;
    for (int i = 0; i < 600; i++) { /* up to 60 s: a TSan build starts slowly */
        if (ks_port_open()) return 0;
        pause_ms(100);
    }
    return -1;
}

static void ks_kill(void)
{
    if (g_ks_pid <= 0) return;
    kill(g_ks_pid, SIGKILL);
    waitpid(g_ks_pid, NULL, 0);
    g_ks_pid = 0;
}

static long kl_ok(void)
{
    return atomic_load(&g_counts[K_K13].full) + atomic_load(&g_counts[K_K13].resumed) +
           atomic_load(&g_counts[K_K12].full) + atomic_load(&g_counts[K_K12].resumed);
}
static long kl_down(void)
{
    return atomic_load(&g_counts[K_K13].keyless_down) + atomic_load(&g_counts[K_K12].keyless_down);
}

/* Wait (bounded) until f() reaches at least target. */
static int wait_count(long (*f)(void), long target, double seconds)
{
    double end = now_s() + seconds;
    while (f() < target) {
        if (now_s() > end || atomic_load(&g_failed)) return -1;
        pause_ms(50);
    }
    return 0;
}

/* Keyless handshakes work, the key server dies (they fail, and say why), it
 * comes back (they work again). */
static void keyless_scenario(void)
{
    if (wait_count(kl_ok, 20, 60) != 0) { fail("keyless", "no keyless handshakes with the key server up"); return; }
    pause_ms(1000); /* operations begun before the pool connected have ended */
    atomic_store(&g_ks_window, 0);
    /* From here a keyless failure is a failure: 20 handshakes so checked. */
    if (wait_count(kl_ok, kl_ok() + 20, 60) != 0) { fail("keyless", "no keyless handshakes with the pool connected"); return; }
    long before = kl_ok(), down = kl_down();
    atomic_store(&g_ks_window, 1);
    ks_kill();
    printf("stress: key server killed after %ld keyless handshakes\n", before);
    fflush(stdout);
    if (wait_count(kl_down, down + 5, 60) != 0) { fail("keyless", "handshakes did not fail with the key server down"); return; }
    if (ks_start() != 0) { fail("keyless", "the key server did not restart"); return; }
    long restarted = kl_ok();
    printf("stress: key server restarted\n");
    fflush(stdout);
    if (wait_count(kl_ok, restarted + 20, 60) != 0) fail("keyless", "no keyless handshakes after the restart");
    pause_ms(1000); /* operations begun on the dead connections have ended */
    atomic_store(&g_ks_window, 0);
}

/* ------------------------------------------------- setup and the run */
static parley_config *versioned_client(const char *ca, uint16_t v)
{
    parley_config *c = parley_config_new();
    if (!c || parley_config_set_ca_file(c, ca) != PARLEY_OK || parley_config_set_versions(c, v, v) != PARLEY_OK) {
        fprintf(stderr, "stress: client config: %s\n", c ? parley_config_error_string(c) : "no memory");
        exit(2);
    }
    return c;
}

static void need(int ok, parley_config *cfg, const char *what)
{
    if (ok) return;
    fprintf(stderr, "stress: setup: %s: %s\n", what, cfg ? parley_config_error_string(cfg) : "");
    exit(2);
}

static int cat_file(FILE *out, const char *path)
{
    FILE *in = fopen(path, "r");
    if (!in) return -1;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0) fwrite(buf, 1, n, out);
    fclose(in);
    return 0;
}

int main(int argc, char **argv)
{
    int threads = 8;
    double seconds = 20;
    const char *kl = NULL, *kl_ca = NULL, *kl_cert = NULL, *kl_key = NULL, *kl_chain = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--")) {
            g_ks_argv = argv + i + 1;
            break;
        }
        if (!v) goto usage;
        i++;
        if (!strcmp(a, "--threads")) threads = atoi(v);
        else if (!strcmp(a, "--seconds")) seconds = atof(v);
        else if (!strcmp(a, "--keyless")) kl = v;
        else if (!strcmp(a, "--keyless-ca")) kl_ca = v;
        else if (!strcmp(a, "--keyless-cert")) kl_cert = v;
        else if (!strcmp(a, "--keyless-key")) kl_key = v;
        else if (!strcmp(a, "--keyless-chain")) kl_chain = v;
        else goto usage;
    }
    if (threads < 1 || threads > 256 || seconds <= 0) goto usage;
    if (kl && (!kl_ca || !kl_cert || !kl_key || !kl_chain || !g_ks_argv || !g_ks_argv[0])) goto usage;

    const char *dir = test_dir();
    if (make_cert(dir, "ec256", "ec256", "localhost", -1, 30) != 0) return 2;
    char cert[512], key[512], trust[512];
    snprintf(cert, sizeof cert, "%s/ec256.pem", dir);
    snprintf(key, sizeof key, "%s/ec256.key", dir);
    snprintf(trust, sizeof trust, "%s/trust.pem", dir);
    snprintf(g_keys_path, sizeof g_keys_path, "%s/ticket.keys", dir);
    FILE *t = fopen(trust, "w");
    if (!t || cat_file(t, cert) != 0 || (kl && cat_file(t, kl_ca) != 0) || fclose(t) != 0) return 2;
    for (int k = 0; k < NKINDS; k++) pthread_mutex_init(&g_store[k].mu, NULL);

    /* A: local key, in-process cache, tickets under a secret rotating every second. */
    parley_session_cache *mem = parley_session_cache_memory_new(1024);
    parley_config *a = g_server[0] = parley_config_new();
    uint8_t secret[32];
    for (int i = 0; i < 32; i++) secret[i] = (uint8_t)(i * 37 + 11);
    need(a && parley_config_add_cert_files(a, cert, key) == PARLEY_OK, a, "A cert");
    need(parley_config_set_session_cache(a, mem) == PARLEY_OK, a, "A cache");
    need(parley_config_set_ticket_secret(a, secret, sizeof secret) == PARLEY_OK, a, "A secret");
    need(parley_config_set_ticket_rotation(a, 1) == PARLEY_OK, a, "A rotation");

    /* B: the asynchronous provider, the shared-memory cache, the key file. */
    g_async.base.start = async_start;
    g_async.base.cancel = async_cancel;
    char err[256];
    if (!(g_async.key = parley_key_load_pem(key, err, sizeof err))) {
        fprintf(stderr, "stress: %s\n", err);
        return 2;
    }
    pthread_mutex_init(&g_async.mu, NULL);
    pthread_cond_init(&g_async.cv, NULL);
    for (int i = 0; i < 2; i++) pthread_create(&g_async.workers[i], NULL, async_worker, &g_async);
    parley_session_cache *shm = parley_session_cache_shm_new(1 << 20);
    parley_config *b = g_server[1] = parley_config_new();
    if (!shm || write_keys_file(0, 0) != 0) return 2;
    need(b && parley_config_add_cert_with_provider(b, cert, &g_async.base) == PARLEY_OK, b, "B cert");
    need(parley_config_set_session_cache(b, shm) == PARLEY_OK, b, "B cache");
    need(parley_config_set_tickets(b, 0) == PARLEY_OK, b, "B tickets off");
    need(parley_config_set_ticket_keys_file(b, g_keys_path) == PARLEY_OK, b, "B key file");

    /* K: the key at a key server this program starts, kills and restarts. */
    parley_session_cache *kmem = NULL;
    if (kl) {
        snprintf(g_ks_hostport, sizeof g_ks_hostport, "%s", kl);
        if (ks_start() != 0) {
            fprintf(stderr, "stress: the key server (%s) did not start\n", g_ks_argv[0]);
            return 2;
        }
        parley_config *tls = parley_config_new();
        need(tls && parley_config_set_ca_file(tls, kl_ca) == PARLEY_OK, tls, "keyless CA");
        need(parley_config_add_cert_files(tls, kl_cert, kl_key) == PARLEY_OK, tls, "keyless client cert");
        if (!(g_keyless = parley_keyless_new(kl, tls, 2, 2000, err, sizeof err))) {
            fprintf(stderr, "stress: keyless: %s\n", err);
            return 2;
        }
        parley_config_free(tls);
        kmem = parley_session_cache_memory_new(1024);
        parley_config *k = g_server[2] = parley_config_new();
        need(k && parley_config_add_cert_with_provider(k, kl_chain, g_keyless) == PARLEY_OK, k, "K cert");
        need(parley_config_set_session_cache(k, kmem) == PARLEY_OK, k, "K cache");
        g_nkinds = 6;
    }
    g_client13 = versioned_client(trust, PARLEY_TLS1_3);
    g_client12 = versioned_client(trust, PARLEY_TLS1_2);

    printf("stress: %d threads, %.0f s, %d kinds of handshake\n", threads, seconds, g_nkinds);
    fflush(stdout);
    double start = now_s();
    pthread_t *tid = calloc((size_t)threads, sizeof *tid), rl[2];
    for (int i = 0; i < threads; i++) pthread_create(&tid[i], NULL, worker, (void *)(uintptr_t)i);
    for (int i = 0; i < 2; i++) pthread_create(&rl[i], NULL, reloader, NULL);
    if (kl) keyless_scenario();
    while (now_s() - start < seconds && !atomic_load(&g_failed)) pause_ms(100);
    atomic_store(&g_stop, 1);
    for (int i = 0; i < threads; i++) pthread_join(tid[i], NULL);
    for (int i = 0; i < 2; i++) pthread_join(rl[i], NULL);
    double el = now_s() - start;

    /* The counts, and what every run must have exercised. */
    long total = 0;
    for (int k = 0; k < g_nkinds; k++) {
        counts *c = &g_counts[k];
        long full = atomic_load(&c->full), res = atomic_load(&c->resumed), can = atomic_load(&c->cancelled);
        total += full + res;
        printf("stress: %-36s full %6ld  resumed %6ld (of %6ld offered)  cancelled %4ld  key server down %4ld\n",
               kind_name[k], full, res, atomic_load(&c->offered), can, atomic_load(&c->keyless_down));
        if (!full) fail(kind_name[k], "no full handshake");
        if (!res) fail(kind_name[k], "no resumed handshake");
        if (k >= K_B13 && !can) fail(kind_name[k], "no key operation cancelled");
    }
    printf("stress: async key operations %ld (%ld completed inline), ticket key reloads %ld ok, %ld refused (bad file)\n",
           atomic_load(&g_async_ops), atomic_load(&g_async_inline), atomic_load(&g_reload_ok),
           atomic_load(&g_reload_bad));
    if (!atomic_load(&g_reload_ok)) fail("reloader", "no ticket key reload succeeded");
    if (!atomic_load(&g_reload_bad)) fail("reloader", "no bad key file was refused");
    printf("stress: %ld handshakes in %.1f s (%.0f/s), %d failures\n", total, el, total / el, atomic_load(&g_failed));

    pthread_mutex_lock(&g_async.mu);
    g_async.quit = 1;
    pthread_cond_broadcast(&g_async.cv);
    pthread_mutex_unlock(&g_async.mu);
    for (int i = 0; i < 2; i++) pthread_join(g_async.workers[i], NULL);
    for (int k = 0; k < 3; k++) parley_config_free(g_server[k]);
    parley_config_free(g_client13);
    parley_config_free(g_client12);
    if (g_keyless) parley_keyless_free(g_keyless);
    ks_kill();
    parley_session_cache_memory_free(mem);
    if (kmem) parley_session_cache_memory_free(kmem);
    parley_session_cache_shm_free(shm);
    parley_key_free(g_async.key);
    free(tid);
    return atomic_load(&g_failed) ? 1 : 0;
usage:
    fprintf(stderr, "usage: %s [--threads N] [--seconds S] [--keyless HOST:PORT --keyless-ca F --keyless-cert F "
                    "--keyless-key F --keyless-chain F -- KEYSERVER ARGV...]\n", argv[0]);
    return 2;
}
