/*
 * workers.c - the supervisor of `--workers N`: it forks N workers that accept
 * from one listening socket it made (workers_listen), replaces a worker that
 * dies, passes SIGHUP on to the live ones, and on SIGTERM or SIGINT waits for
 * them to drain, killing the ones past the drain limit.
 *
 * The parent handles every signal synchronously: CHLD, TERM, INT, HUP and the
 * workers' "ready" signal stay blocked and one loop takes them with
 * sigtimedwait. So the pid table is only ever read and written by that loop,
 * a pid is forgotten in the same step that reaps it (a forwarded signal
 * cannot reach a stranger that reused it), and timeouts (restart delay, kill
 * deadline) are the wait's own.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "server_opts.h"
#include "workers.h"

#define READY_SIG (SIGRTMIN) /* queued (real-time): two workers ready at once are two signals */
#define LOOP_RESTARTS 5      /* more restarts than this ... */
#define LOOP_WINDOW_MS 10000 /* ... within this: */
#define LOOP_DELAY_MS 1000   /* one restart at most this often */

typedef struct {
    pid_t pid;   /* 0: no worker in this slot (ended, or not yet restarted) */
    int ready;   /* it called worker_ready() */
    pid_t ended; /* the worker this slot is waiting to replace, and how it ended */
    int status;
} slot;

static slot g_slots[WORKERS_MAX];
static pid_t g_supervisor; /* in a worker: the parent to tell it is ready */

static long long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void on_chld(int sig) { (void)sig; } /* never runs (blocked); makes CHLD a signal that is queued */

int workers_listen(const char *spec, int backlog)
{
    int fd = tool_bind(spec);
    if (fd < 0) return -1;
    if (listen(fd, backlog) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    /* The options say "no shared socket" with 0: never hand out descriptor 0
     * (made when stdin was closed). */
    if (fd == 0) {
        int moved = fcntl(fd, F_DUPFD, 3), e = errno;
        close(fd);
        errno = e;
        fd = moved;
    }
    return fd;
}

void worker_ready(void)
{
    /* A worker starts with SIGHUP blocked (spawn): one the parent forwarded
     * before the worker's reload handler existed stays pending and is
     * delivered here, to that handler. */
    sigset_t hup;
    sigemptyset(&hup);
    sigaddset(&hup, SIGHUP);
    sigprocmask(SIG_UNBLOCK, &hup, NULL);
    if (g_supervisor) sigqueue(g_supervisor, READY_SIG, (union sigval){0});
}

static pid_t spawn(const workers_spec *w, const sigset_t *child_mask)
{
    fflush(stdout); /* or the child would print the parent's buffered lines again */
    pid_t parent = getpid(), pid = fork();
    if (pid != 0) return pid; /* -1: the caller retries later */
    /* A worker does not outlive its parent; the parent may have died
     * before this line (then getppid() is another process already). */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(0);
    g_supervisor = parent;
    signal(SIGCHLD, SIG_DFL);
    /* SIGHUP stays blocked (and has its default action) until the worker's
     * reload handler is in place: worker_ready(). */
    sigprocmask(SIG_SETMASK, child_mask, NULL);
    _exit(w->run(w->arg));
}

static void ended_as(char *buf, size_t n, int st)
{
    if (WIFSIGNALED(st)) snprintf(buf, n, "ended by signal %d", WTERMSIG(st));
    else snprintf(buf, n, "exited with status %d", WEXITSTATUS(st));
}

/* The restarts of the last LOOP_WINDOW_MS: a crash-loop guard that never
 * gives up, it only slows down. */
typedef struct {
    long long at[LOOP_RESTARTS]; /* the last restarts' times, a ring */
    int n, next, logged;
} restart_guard;

/* More than LOOP_RESTARTS restarts within LOOP_WINDOW_MS if one more
 * happened now: the last LOOP_RESTARTS are all inside the window. */
static int guard_looping(const restart_guard *g, long long now)
{
    return g->n == LOOP_RESTARTS && now - g->at[g->next] < LOOP_WINDOW_MS; /* at[next]: the oldest */
}

static void guard_note(restart_guard *g, long long now)
{
    g->at[g->next] = now;
    g->next = (g->next + 1) % LOOP_RESTARTS;
    if (g->n < LOOP_RESTARTS) g->n++;
}

typedef struct {
    const workers_spec *w;
    sigset_t child_mask;
    int n, stopping, ever_ready, fail;
    long long kill_at; /* while stopping: when the survivors get SIGKILL */
    restart_guard guard;
} sup;

static int alive(const sup *s)
{
    int a = 0;
    for (int i = 0; i < s->n; i++) a += g_slots[i].pid > 0;
    return a;
}

static void signal_all(const sup *s, int sig)
{
    for (int i = 0; i < s->n; i++)
        if (g_slots[i].pid > 0) kill(g_slots[i].pid, sig);
}

static void begin_stop(sup *s, const char *why)
{
    const workers_spec *w = s->w;
    s->stopping = 1;
    s->kill_at = now_ms() + w->drain_ms + WORKERS_KILL_GRACE_MS;
    for (int i = 0; i < s->n; i++) g_slots[i].ended = 0; /* no restarts while stopping */
    /* The parent's copies of the listeners go: once the workers have closed
     * theirs, a new connection is refused instead of waiting in a queue
     * nobody takes from. */
    for (int i = 0; i < w->nfds; i++) close(w->fds[i]);
    fprintf(stderr, "parley %s: %s: stopping %d workers (killed if still running after %d ms)\n", w->what, why, alive(s),
            w->drain_ms + WORKERS_KILL_GRACE_MS);
    signal_all(s, SIGTERM);
}

/* The ready signals already sent: a worker that said it was ready and then
 * died at once must count as ready (CHLD is taken before real-time signals). */
static void take_ready(sup *s, pid_t from)
{
    for (int i = 0; i < s->n; i++)
        if (g_slots[i].pid == from) g_slots[i].ready = s->ever_ready = 1;
}

static void drain_ready(sup *s)
{
    sigset_t r;
    sigemptyset(&r);
    sigaddset(&r, READY_SIG);
    siginfo_t si;
    struct timespec zero = {0, 0};
    while (sigtimedwait(&r, &si, &zero) == READY_SIG) take_ready(s, si.si_pid);
}

static void reap(sup *s)
{
    int st;
    pid_t pid;
    drain_ready(s);
    while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
        int i = 0;
        while (i < s->n && g_slots[i].pid != pid) i++;
        if (i == s->n) continue;
        int was_ready = g_slots[i].ready;
        g_slots[i].pid = 0;
        g_slots[i].ready = 0;
        if (s->stopping) continue;
        char how[64];
        ended_as(how, sizeof how, st);
        if (!was_ready && !s->ever_ready) {
            /* None has ever started: a bad certificate or option, which a
             * restart would only repeat. */
            fprintf(stderr, "parley %s: worker %d %s before it was ready: not restarted, a start-up error\n", s->w->what,
                    (int)pid, how);
            s->fail = WIFEXITED(st) && WEXITSTATUS(st) ? WEXITSTATUS(st) : TOOL_EXIT_FAIL;
            begin_stop(s, "start-up failed");
            continue;
        }
        g_slots[i].ended = pid;
        g_slots[i].status = st;
    }
}

/* Replaces the workers that ended, as the guard allows; returns when the
 * next restart is due (0: none waits). */
static long long restart_due(sup *s)
{
    for (int i = 0; i < s->n; i++) {
        if (!g_slots[i].ended) continue;
        long long now = now_ms(), at = now;
        if (!guard_looping(&s->guard, now)) {
            s->guard.logged = 0; /* out of a loop: the next one is logged again */
        } else {
            at = s->guard.at[(s->guard.next + LOOP_RESTARTS - 1) % LOOP_RESTARTS] + LOOP_DELAY_MS; /* the last + 1 s */
            if (!s->guard.logged)
                fprintf(stderr, "parley %s: more than %d workers restarted within %d s: restarting one a second\n", s->w->what,
                        LOOP_RESTARTS, LOOP_WINDOW_MS / 1000);
            s->guard.logged = 1;
        }
        if (at > now) return at;
        pid_t pid = spawn(s->w, &s->child_mask);
        if (pid < 0) {
            fprintf(stderr, "parley %s: fork failed: %s; trying again\n", s->w->what, strerror(errno));
            return now + LOOP_DELAY_MS;
        }
        char how[64];
        ended_as(how, sizeof how, g_slots[i].status);
        fprintf(stderr, "parley %s: worker %d %s; restarted as worker %d\n", s->w->what, (int)g_slots[i].ended, how, (int)pid);
        g_slots[i].pid = pid;
        g_slots[i].ended = 0;
        guard_note(&s->guard, now);
    }
    return 0;
}

static void on_signal(sup *s, const siginfo_t *si, int sig)
{
    const workers_spec *w = s->w;
    if (sig == SIGHUP) {
        /* Reload: each worker reloads its own config; the parent has none.
         * A slot waiting for its restart needs nothing: the new worker
         * reads the files as they are when it starts. */
        signal_all(s, SIGHUP);
    } else if (sig == SIGTERM || sig == SIGINT) {
        if (!s->stopping) {
            begin_stop(s, sig == SIGTERM ? "SIGTERM" : "SIGINT");
        } else {
            fprintf(stderr, "parley %s: %s again while stopping: killing %d workers\n", w->what, sig == SIGTERM ? "SIGTERM" : "SIGINT",
                    alive(s));
            signal_all(s, SIGKILL);
        }
    } else if (sig == READY_SIG) {
        take_ready(s, si->si_pid);
    }
}

int workers_run(const workers_spec *w)
{
    sup s = {.w = w, .n = w->workers < 1 ? 1 : w->workers > WORKERS_MAX ? WORKERS_MAX : w->workers};
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, READY_SIG);
    sigprocmask(SIG_BLOCK, &set, NULL);
    struct sigaction sa = {0};
    sa.sa_handler = on_chld;
    sigaction(SIGCHLD, &sa, NULL);
    /* A worker starts with nothing blocked but SIGHUP (until its reload
     * handler is in place): not with the mask parley was started with, which
     * might hold SIGTERM and leave workers deaf to the stop. */
    sigemptyset(&s.child_mask);
    sigaddset(&s.child_mask, SIGHUP);
    for (int i = 0; i < s.n; i++) {
        g_slots[i].pid = spawn(w, &s.child_mask);
        if (g_slots[i].pid < 0) tool_die("fork failed: %s", strerror(errno));
    }
    printf("parley %s: %d workers\n", w->what, s.n);
    fflush(stdout);
    for (;;) {
        reap(&s);
        long long next = s.stopping ? 0 : restart_due(&s);
        if (s.stopping && !alive(&s)) break;
        long long now = now_ms();
        if (s.stopping && now >= s.kill_at) {
            for (int i = 0; i < s.n; i++)
                if (g_slots[i].pid > 0)
                    fprintf(stderr, "parley %s: worker %d still running %d ms after SIGTERM: killed\n", w->what, (int)g_slots[i].pid,
                            w->drain_ms + WORKERS_KILL_GRACE_MS);
            signal_all(&s, SIGKILL);
            s.kill_at = now + 1000; /* SIGKILL is not refused: this only keeps the loop from spinning */
        }
        long long until = s.stopping ? s.kill_at : next;
        siginfo_t si;
        int sig;
        if (until) {
            long long d = until > now ? until - now : 0;
            struct timespec ts = {(time_t)(d / 1000), (long)(d % 1000) * 1000000};
            sig = sigtimedwait(&set, &si, &ts);
        } else {
            sig = sigwaitinfo(&set, &si);
        }
        if (sig > 0) on_signal(&s, &si, sig);
    }
    fprintf(stderr, "parley %s: all workers stopped\n", w->what);
    return s.fail;
}
