/* server_limits.h - the bounds of `parley server`'s thread-per-connection
 * model: how many connections are served at once, how long a handshake and
 * then the request may take in total (a per-read timeout alone lets a client
 * that sends one byte every few seconds hold a thread for ever), the
 * descriptors behind the cap, and how often a refusal is logged. */
#ifndef PARLEY_TOOL_SERVER_LIMITS_H
#define PARLEY_TOOL_SERVER_LIMITS_H

typedef struct conn_slot conn_slot;

/* Which deadline the watchdog cut a connection at (limits_timed_out). */
enum { LIMITS_CUT_NONE = 0, LIMITS_CUT_HANDSHAKE = 1, LIMITS_CUT_REQUEST = 2 };

/* --max-conns is only a bound if that many descriptors exist: raises the soft
 * RLIMIT_NOFILE as far as the hard one allows, or returns a lower cap that
 * fits (with a log line). */
int limits_fit_descriptors(int max_conns);
/* Starts the watchdog thread. max_conns > 0; the timeouts > 0. */
int limits_init(int max_conns, int hs_timeout_ms, int req_timeout_ms);
/* A slot for a new connection on fd, or NULL when max_conns are open. */
conn_slot *limits_admit(int fd);
/* The handshake finished: from now the request deadline applies (reading
 * the request, writing the response, close_notify). */
void limits_handshake_done(conn_slot *s);
/* LIMITS_CUT_* : whether, and in which phase, the watchdog cut it. */
int limits_timed_out(const conn_slot *s);
/* Before close(fd): forget the slot. */
void limits_release(conn_slot *s);
/* Connections open now. */
int limits_open(void);

/* A connection closed at once because max_conns are open (peer: "host:port").
 * Logged at most once a second, with the count since the last line; the
 * watchdog writes the line for refusals that came within the second. */
void limits_refused(const char *peer);
/* accept() failed with err: backs off (see server_limits.c) and logs at most
 * once a second, with counts. Returns after the back-off. */
void limits_accept_failed(int lfd, int err);

#endif
