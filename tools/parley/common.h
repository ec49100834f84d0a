/* common.h - helpers shared by the parley subcommands (public API only). */
#ifndef PARLEY_TOOL_COMMON_H
#define PARLEY_TOOL_COMMON_H

#include <parley/parley.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define TOOL_EXIT_USAGE 1
#define TOOL_EXIT_FAIL 2

int tool_client(int argc, char **argv);
int tool_server(int argc, char **argv);
int tool_keyserver(int argc, char **argv);
int tool_proxy(int argc, char **argv);
int tool_verify(int argc, char **argv); /* verify.c */
/* redis://HOST:PORT[/DB] session cache (tools/parley/cache_redis.c). */
parley_session_cache *tool_redis_cache_new(const char *spec);
/* Its connect and command timeout in ms (1..999; 200 by default). */
void tool_redis_cache_set_timeout(parley_session_cache *cache, int ms);
/* Closes its connection, if any, and frees it. */
void tool_redis_cache_free(parley_session_cache *cache);
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
void tool_verify_usage(FILE *f); /* main.c: the verify section of the help */

/* --max-conns is only a bound if that many descriptors exist: raise the soft
 * RLIMIT_NOFILE toward max_conns + reserve as far as the hard limit allows,
 * else return a lower cap (with a line on stderr naming `who`). */
int tool_fit_descriptors(int max_conns, int reserve, const char *who);

/* Lingering after a fatal alert, so the alert is delivered: closing a
 * socket with unread input makes the kernel send a reset instead of a FIN,
 * and the peer (or a relay) may then lose the alert unread, or see
 * ECONNRESET instead of the end of the stream. So: write what is pending (the
 * alert), shut down the write side, read and discard until the peer closes,
 * then close, within TOOL_LINGER_MS and TOOL_LINGER_BYTES (whichever comes
 * first, so one peer cannot hold a connection slot for long). One policy for
 * every role: `parley server` and `keyserver` use it with the handshake
 * deadline as a further bound (the drain never outlives --handshake-timeout),
 * `parley proxy` and `keyserver` through their event loops (tool_linger_*),
 * `parley client` and `server` with blocking sockets (tool_linger_drain). */
#define TOOL_LINGER_MS 2000
#define TOOL_LINGER_BYTES (256 * 1024)
typedef struct {
    uint64_t until_ms; /* on the caller's monotonic clock */
    size_t left;       /* bytes still to discard */
} tool_linger;
/* Start: now_ms on the caller's clock, ms the time bound (TOOL_LINGER_MS, or
 * less where a shorter deadline applies). */
void tool_linger_start(tool_linger *l, uint64_t now_ms, int ms);
/* n bytes were read and discarded (0: end of stream, < 0: error). Returns 1
 * when the lingering is over (the peer closed, or the byte bound is reached). */
int tool_linger_read(tool_linger *l, long n);
/* Milliseconds left (0: the time bound is reached). */
int tool_linger_left_ms(const tool_linger *l, uint64_t now_ms);
/* Blocking sockets: shut down the write side, read and discard within the
 * bounds above (ms for the time), and return; the caller closes fd (after
 * forgetting it wherever another thread may look at the number). */
void tool_linger_drain(int fd, int ms);
/* tool_linger_drain, then close(fd). */
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
/* "FILE:LINE" of the config-file option being applied (config_file.c), put
 * before tool_die's message; NULL: none. */
extern const char *tool_die_where;

/* export.c: --export LABEL:LEN, and the wait for a post-handshake certificate. */
typedef struct {
    char label[256];
    size_t len; /* 0: not asked */
} tool_export;
void tool_export_parse(const char *spec, tool_export *e);
/* The exported bytes in hex, or "refused (why)", in out. */
const char *tool_export_hex(parley_conn *c, const tool_export *e, char *out, size_t cap);
/* Server: ask for a client certificate after the handshake and read from
 * fd until the answer is in: 0, 1 for TLS 1.2 (none: the handshake asked),
 * -1 when the connection failed. */
int tool_post_handshake_auth(parley_conn *c, int fd);
/* An option's value, or exit with a usage error when it is empty ("none" says off). */
const char *tool_nonempty(const char *flag, const char *value);
/* UTF-8-safe JSON string output (invalid bytes as \u00XX, never raw). */
size_t tool_utf8_len(const unsigned char *p);
void tool_json_str(FILE *f, const char *s);
/* Text for a line of output: control bytes and invalid UTF-8 as \xNN. */
void tool_text_str(FILE *f, const char *s);
/* The client summary's peer_cert.N: lines. */
void tool_print_peer_certs(const parley_conn *c);
/* The value of --min-rsa-bits (2048..16384) or --insecure-min-rsa-bits
 * (1024..16384), parsed strictly; a usage error (exit 1) naming the flag. */
int tool_rsa_bits_arg(const char *flag, const char *val);
/* Both key-size options applied to cfg, the insecure one warning as "<who>:
 * WARNING: ... accepts <accepts>" (who NULL: silent); -1 on a config error. */
int tool_rsa_policy(parley_config *cfg, int min_bits, int insecure_bits, const char *who, const char *accepts);

#endif
