/* common.h - helpers shared by the parley subcommands (public API only). */
#ifndef PARLEY_TOOL_COMMON_H
#define PARLEY_TOOL_COMMON_H

#include <parley/parley.h>
#include <stdio.h>

#define TOOL_EXIT_USAGE 1
#define TOOL_EXIT_FAIL 2

int tool_client(int argc, char **argv);
int tool_server(int argc, char **argv);
int tool_keyserver(int argc, char **argv);
int tool_proxy(int argc, char **argv);
/* redis://HOST:PORT[/DB] session cache (tools/parley/cache_redis.c). */
parley_session_cache *tool_redis_cache_new(const char *spec);
/* Shared by both Redis caches: "redis://HOST:PORT[/DB]" (-1 if not that), and
 * the key of a session id, "parley:sess:<hex>" (-1 for an id of 0 or > 32 bytes). */
int tool_redis_spec(const char *spec, char *host, size_t hl, int *port, int *db);
int tool_redis_key(char out[96], const uint8_t *id, size_t n);
/* The outage log of both: "unreachable" once per outage (why, when *logged is
 * 0), "is back" when it ends; *logged says whether an outage was logged. */
void tool_redis_log_down(int *logged, const char *host, int port, const char *why);
void tool_redis_log_up(int *logged, const char *host, int port);
/* The same on a libuv loop, for parley proxy: lookups answer through `done`
 * (the value, or NULL / 0: not found), within 200 ms. */
typedef void (*tool_lookup_done)(parley_conn *conn, const uint8_t *val, size_t len);
parley_session_cache *tool_redis_async_cache_new(const char *spec, void *uv_loop, tool_lookup_done done);
void tool_usage(FILE *f);
/* Options from FILE ("name value" per line) become "--name value" arguments,
 * followed by the command line's own (without --config FILE). */
void tool_read_config(const char *path, int *argc, char ***argv);

/* --max-conns is only a bound if that many descriptors exist: raise the soft
 * RLIMIT_NOFILE toward max_conns + reserve as far as the hard limit allows,
 * else return a lower cap (with a line on stderr naming `who`). */
int tool_fit_descriptors(int max_conns, int reserve, const char *who);

/* Close a socket after a fatal alert so the alert is delivered: closing with
 * unread input makes the kernel send a reset, and a peer (or relay) may then
 * drop the alert unread. Shut down the write side, read and discard for at
 * most `ms` milliseconds and 256 KiB, then close. */
void tool_linger_close(int fd, int ms);

/* Split "HOST:PORT" or "[v6]:PORT". */
int tool_split_hostport(const char *s, char *host, size_t hl, char *port, size_t pl);
/* Trace callback printing the ladder; arg is a FILE*. */
/* The summary's group: the key exchange group, "none" for a resumption
 * without one (TLS 1.2 abbreviated, TLS 1.3 psk_ke), "rsa" for static RSA. */
const char *tool_group(const parley_conn *c);
void tool_trace(void *arg, const parley_conn *conn, const parley_trace_event *ev);
/* Keylog callback appending to SSLKEYLOGFILE / --keylog handled by the library. */
void tool_die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

#endif
