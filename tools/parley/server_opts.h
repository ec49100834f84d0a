/* server_opts.h - the TLS server options of `parley server` and `parley proxy`. */
#ifndef PARLEY_TOOL_SERVER_OPTS_H
#define PARLEY_TOOL_SERVER_OPTS_H

#include <stdint.h>

#include "common.h"

#define MAX_CERTS 8

/* Everything asked for, parsed once and handed to each worker. */
typedef struct {
    const char *listen_on, *alpn, *ciphers, *groups, *keylog, *export_cert, *client_ca, *verify;
    const char *keyless, *kl_ca, *kl_cert, *kl_key, *cache_spec, *ticket_keys, *ticket_secret_file;
    const char *certs[MAX_CERTS], *keys[MAX_CERTS], *ocsps[MAX_CERTS], *crls[16];
    int min_rsa_bits, insecure_min_rsa_bits; /* the key policy for client certificates */
    int ncert, nkey, nocsp, ncrl, trace, padding, allow_rsa, crl_warn, kl_timeout, kl_pool, no_tickets;
    int listen_fd; /* > 0: the listening socket the --workers supervisor made (workers_listen); 0: bind listen_on */
    int psk_ke, lifetime, workers, ticket_rotate, require_ems;
    unsigned max_early;
    const char *rsl; /* --record-size-limit */
    uint16_t vmin, vmax;
    parley_session_cache *cache;
    /* A cache shared with other hosts (redis://...), for the start-up note
     * when no ticket key or secret is shared with them. */
    const char *hosts_cache;
    /* Ticket keys derived from this secret, made before fork so that workers
     * without --ticket-keys or --ticket-secret open each other's tickets. */
    uint8_t ticket_secret[64];
    size_t ticket_secret_len;
    const char *cert_compression; /* --cert-compression LIST (RFC 8879) */
} server_opts;

/* One option at argv[*i] (advancing *i past its value): 1 if it was one. */
int server_opt(server_opts *o, int argc, char **argv, int *i);
/* Checks the combination and makes the session cache (before any fork). */
void server_opts_finish(server_opts *o);
/* The config (certificates or keyless provider, policy, caches, tickets).
 * fatal: errors end the program; otherwise they are printed and NULL returned. */
parley_config *server_opts_config(const server_opts *o, int fatal);
/* --check-config: build the config as the start would (loading every file
 * it names), print "config ok" and return 0; an error ends the program (1). */
int server_opts_check(const server_opts *o);
/* The keyless provider the config uses, if any (one for every reload). */
extern parley_key_provider *server_keyless;
/* After the last connection and config: stop and free it. */
void server_opts_keyless_free(void);
/* The --workers parent, once its workers are gone: frees the session cache
 * server_opts_finish made (each worker had its own copy or mapping). */
void server_opts_cache_free(server_opts *o);
/* A TCP socket bound to ADDR:PORT (SO_REUSEADDR), or -1. */
int tool_bind(const char *spec);

#endif
