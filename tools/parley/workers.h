/* workers.h - the supervisor of `--workers N` (server and proxy): forks the
 * workers, replaces the ones that die, passes SIGHUP on, and on SIGTERM waits
 * for their drain (docs/deploy.md, "Workers and the supervisor"). */
#ifndef PARLEY_TOOL_WORKERS_H
#define PARLEY_TOOL_WORKERS_H

#define WORKERS_MAX 64
/* How long past its drain limit a worker may take before it is killed. */
#define WORKERS_KILL_GRACE_MS 2000

typedef struct {
    int workers;           /* how many to keep running, 1..WORKERS_MAX */
    int (*run)(void *arg); /* a worker's body: its return value is the exit status */
    void *arg;
    const char *what;      /* "server" or "proxy", for the log lines */
    int drain_ms;          /* a worker's own limit to finish after SIGTERM */
    int fds[4];            /* the shared listening sockets: the parent closes */
    int nfds;              /*   its copies when it stops */
} workers_spec;

/* A listening TCP socket on ADDR:PORT made once by the parent, before it
 * forks, so that every worker accepts from one queue; -1 with errno. Never
 * descriptor 0. */
int workers_listen(const char *spec, int backlog);
/* Runs the workers until SIGTERM or SIGINT and all of them are gone: 0, or
 * the failing worker's status when the first ones fail to start. */
int workers_run(const workers_spec *w);
/* In a worker (or a single process), once its SIGHUP handler is installed
 * and it can serve: unblocks SIGHUP and tells the supervisor it is ready. */
void worker_ready(void);

#endif
