/* server_limits.h - the bounds of `parley server`'s thread-per-connection
 * model: how many connections are served at once, and how long a handshake
 * may take in total (a per-read timeout alone lets a client that sends one
 * byte every few seconds hold a thread for ever). */
#ifndef PARLEY_TOOL_SERVER_LIMITS_H
#define PARLEY_TOOL_SERVER_LIMITS_H

typedef struct conn_slot conn_slot;

/* Starts the watchdog thread. max_conns > 0; hs_timeout_ms > 0. */
int limits_init(int max_conns, int hs_timeout_ms);
/* A slot for a new connection on fd, or NULL when max_conns are open. */
conn_slot *limits_admit(int fd);
/* The handshake finished (either way): the deadline no longer applies. */
void limits_handshake_done(conn_slot *s);
/* 1 if the watchdog cut this connection's handshake. */
int limits_timed_out(const conn_slot *s);
/* Before close(fd): forget the slot. */
void limits_release(conn_slot *s);
/* Connections open now. */
int limits_open(void);

#endif
