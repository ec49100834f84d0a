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
/* redis://HOST:PORT[/DB] session cache (tools/parley/cache_redis.c). */
parley_session_cache *tool_redis_cache_new(const char *spec);
void tool_usage(FILE *f);

/* Split "HOST:PORT" or "[v6]:PORT". */
int tool_split_hostport(const char *s, char *host, size_t hl, char *port, size_t pl);
/* Trace callback printing the ladder; arg is a FILE*. */
void tool_trace(void *arg, const parley_conn *conn, const parley_trace_event *ev);
/* Keylog callback appending to SSLKEYLOGFILE / --keylog handled by the library. */
void tool_die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

#endif
