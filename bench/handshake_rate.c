/*
 * handshake_rate.c - full handshakes per second against a server, from T
 * threads for S seconds (new TCP connection and handshake each time, then
 * close). Used by `make bench-keyless` to put keyless handshakes next to
 * local-key ones in one run; wall-clock rates on a shared machine are only
 * meaningful as ratios measured together.
 *
 * usage: bench_handshakes HOST PORT CAFILE THREADS SECONDS [tls1.2]
 */
#include <netdb.h>
#include <parley/parley.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char *host, *port;
static parley_config *cfg;
static double seconds;
static long done_ok, done_fail;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *worker(void *arg)
{
    (void)arg;
    double end = now() + seconds;
    long ok = 0, fail = 0;
    struct addrinfo hints = {0}, *ai;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, port, &hints, &ai) != 0) return NULL;
    while (now() < end) {
        int fd = socket(ai->ai_family, SOCK_STREAM, 0);
        if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
            fail++;
            if (fd >= 0) close(fd);
            continue;
        }
        parley_conn *c = parley_conn_new_client(cfg, "localhost");
        parley_conn_set_fd(c, fd);
        if (parley_fd_handshake(c) == PARLEY_OK) ok++;
        else fail++;
        parley_fd_close(c);
        parley_conn_free(c);
        close(fd);
    }
    freeaddrinfo(ai);
    pthread_mutex_lock(&mu);
    done_ok += ok;
    done_fail += fail;
    pthread_mutex_unlock(&mu);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: %s HOST PORT CAFILE THREADS SECONDS [tls1.2]\n", argv[0]);
        return 1;
    }
    host = argv[1];
    port = argv[2];
    int threads = atoi(argv[4]);
    seconds = atof(argv[5]);
    cfg = parley_config_new();
    parley_config_set_ca_file(cfg, argv[3]);
    if (argc > 6 && !strcmp(argv[6], "tls1.2")) parley_config_set_versions(cfg, PARLEY_TLS1_2, PARLEY_TLS1_2);
    pthread_t t[64];
    if (threads < 1 || threads > 64) threads = 4;
    double start = now();
    for (int i = 0; i < threads; i++) pthread_create(&t[i], NULL, worker, NULL);
    for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
    double el = now() - start;
    printf("%.1f handshakes/s (%ld ok, %ld failed, %d threads, %.1f s)\n", done_ok / el, done_ok, done_fail, threads, el);
    parley_config_free(cfg);
    return done_fail ? 2 : 0;
}
