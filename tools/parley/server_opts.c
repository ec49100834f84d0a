/*
 * server_opts.c - what `parley server` and `parley proxy` share: the TLS
 * server options, the config built from them and the listening socket (the
 * `--workers` supervisor is workers.c).
 */
#include <dirent.h>
#include <errno.h>
#include <netdb.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "options.h"
#include "server_opts.h"
#include "record_size_limit.h"

parley_key_provider *server_keyless;

/* --cert-dir DIR: every NAME.pem with a NAME.key beside it (or, keyless, every
 * NAME.pem), in name order, as if given with --cert/--key. */
static int pem_name(const struct dirent *d)
{
    size_t l = strlen(d->d_name);
    return l > 4 && !strcmp(d->d_name + l - 4, ".pem");
}

static void add_cert_dir(server_opts *o, const char *dir)
{
    struct dirent **list;
    int n = scandir(dir, &list, pem_name, alphasort);
    if (n < 0) tool_die("cannot read the certificate directory %s", dir);
    for (int i = 0; i < n; i++) {
        char cert[4096], key[4096];
        snprintf(cert, sizeof cert, "%s/%s", dir, list[i]->d_name);
        snprintf(key, sizeof key, "%.*s.key", (int)(strlen(cert) - 4), cert);
        free(list[i]);
        if (o->keyless || access(key, R_OK) == 0) {
            if (o->ncert == MAX_CERTS) tool_die("at most %d certificates", MAX_CERTS);
            o->certs[o->ncert++] = strdup(cert);
            if (!o->keyless) o->keys[o->nkey++] = strdup(key);
        }
    }
    free(list);
    if (!o->ncert) tool_die("no NAME.pem with a NAME.key in %s", dir);
}

int server_opt(server_opts *o, int argc, char **argv, int *ip)
{
    int i = *ip;
    const char *a = argv[i];
#define NEXT() tool_opt_value(argc, argv, &i)
        if (!strcmp(a, "--listen")) o->listen_on = NEXT();
        else if (!strcmp(a, "--cert-dir")) add_cert_dir(o, NEXT());
        else if (!strcmp(a, "--cert")) {
            if (o->ncert == MAX_CERTS) tool_die("at most %d certificates", MAX_CERTS);
            o->certs[o->ncert++] = NEXT();
        } else if (!strcmp(a, "--key")) {
            if (o->nkey == MAX_CERTS) tool_die("at most %d keys", MAX_CERTS);
            o->keys[o->nkey++] = NEXT();
        } else if (!strcmp(a, "--alpn")) o->alpn = NEXT();
        else if (!strcmp(a, "--ciphers")) o->ciphers = NEXT();
        else if (!strcmp(a, "--groups")) o->groups = NEXT();
        else if (!strcmp(a, "--keylog")) o->keylog = NEXT();
        else if (!strcmp(a, "--trace")) o->trace = 1;
        else if (!strcmp(a, "--export-cert")) o->export_cert = NEXT();
        else if (!strcmp(a, "--record-padding")) o->padding = (int)tool_num_arg(a, NEXT(), 0, 16384);
        else if (!strcmp(a, "--cert-compression")) o->cert_compression = tool_nonempty("--cert-compression", NEXT());
        else if (!strcmp(a, "--record-size-limit")) o->rsl = NEXT();
        else if (!strcmp(a, "--tls1.3")) o->vmin = o->vmax = PARLEY_TLS1_3;
        else if (!strcmp(a, "--tls1.2")) o->vmin = o->vmax = PARLEY_TLS1_2;
        else if (!strcmp(a, "--allow-rsa-kx")) o->allow_rsa = 1;
        else if (!strcmp(a, "--require-ems")) o->require_ems = 1;
        else if (!strcmp(a, "--client-ca")) o->client_ca = NEXT();
        else if (!strcmp(a, "--verify")) o->verify = NEXT();
        else if (!strcmp(a, "--crl")) {
            if (o->ncrl == 16) tool_die("at most 16 --crl files");
            o->crls[o->ncrl++] = NEXT();
        } else if (!strcmp(a, "--crl-expired")) o->crl_warn = !strcmp(NEXT(), "warn");
        else if (!strcmp(a, "--min-rsa-bits")) o->min_rsa_bits = tool_rsa_bits_arg(a, NEXT());
        else if (!strcmp(a, "--insecure-min-rsa-bits")) o->insecure_min_rsa_bits = tool_rsa_bits_arg(a, NEXT());
        else if (!strcmp(a, "--keyless")) o->keyless = NEXT();
        else if (!strcmp(a, "--workers")) o->workers = (int)tool_num_arg(a, NEXT(), 1, 64);
        else if (!strcmp(a, "--session-cache")) o->cache_spec = NEXT();
        else if (!strcmp(a, "--ticket-keys")) o->ticket_keys = NEXT();
        else if (!strcmp(a, "--ticket-secret")) o->ticket_secret_file = NEXT();
        else if (!strcmp(a, "--ticket-rotate")) o->ticket_rotate = (int)tool_num_arg(a, NEXT(), 1, 365L * 86400);
        else if (!strcmp(a, "--no-tickets")) o->no_tickets = 1;
        else if (!strcmp(a, "--psk-ke")) o->psk_ke = 1;
        else if (!strcmp(a, "--session-lifetime")) o->lifetime = (int)tool_num_arg(a, NEXT(), 1, 7L * 86400);
        else if (!strcmp(a, "--max-early-data")) o->max_early = (unsigned)tool_num_arg(a, NEXT(), 0, 1L << 30);
        else if (!strcmp(a, "--keyless-ca")) o->kl_ca = NEXT();
        else if (!strcmp(a, "--keyless-cert")) o->kl_cert = NEXT();
        else if (!strcmp(a, "--keyless-key")) o->kl_key = NEXT();
        else if (!strcmp(a, "--keyless-timeout")) o->kl_timeout = (int)tool_num_arg(a, NEXT(), 1, 600000);
        else if (!strcmp(a, "--keyless-pool")) o->kl_pool = (int)tool_num_arg(a, NEXT(), 1, 64);
        else if (!strcmp(a, "--ocsp-response")) {
            if (o->nocsp == MAX_CERTS) tool_die("at most %d OCSP responses", MAX_CERTS);
            o->ocsps[o->nocsp++] = NEXT();
        }
        else return 0;
#undef NEXT
    *ip = i;
    return 1;
}

void server_opts_finish(server_opts *o)
{
    if (o->keyless) {
        if (o->nkey) tool_die("with --keyless the private keys stay on the key server: give --cert without --key");
        if (!o->ncert) tool_die("--keyless needs the certificates (--cert)");
        if (!o->kl_ca || !o->kl_cert || !o->kl_key) tool_die("--keyless needs --keyless-ca, --keyless-cert and --keyless-key");
    } else if (o->ncert != o->nkey) tool_die("each --cert needs a --key");
    /* Errors about the session cache name its line in a config file. */
    tool_opt_point(o->cache_spec);
    /* 0-RTT anti-replay (RFC 8446 8) is only as wide as the store of its
     * records: forked workers must share one, or a replay to another worker
     * would be accepted. */
    if (o->max_early && o->workers > 1 && !o->hosts_cache) { /* hosts_cache: the proxy's own Redis */
        if (!o->cache_spec) o->cache_spec = "shm:4m";
        else if (strncmp(o->cache_spec, "shm:", 4) && strncmp(o->cache_spec, "redis://", 8))
            tool_die("--max-early-data with --workers needs a shared --session-cache (shm:SIZE or redis://): "
                     "a replayed 0-RTT request could otherwise be accepted by another worker");
    }
    if (o->cache_spec && !strcmp(o->cache_spec, "none")) {
        o->cache = NULL;
    } else if (o->cache_spec && !strncmp(o->cache_spec, "shm:", 4)) {
        /* SIZE: a whole number of bytes, or with k / m (KiB, MiB). */
        char num[32];
        const char *sz = o->cache_spec + 4;
        size_t dl = strspn(sz, "0123456789");
        int mul = !sz[dl] ? 1 : strchr("kK", sz[dl]) && !sz[dl + 1] ? 1024 : strchr("mM", sz[dl]) && !sz[dl + 1] ? 1048576 : 0;
        if (!dl || dl >= sizeof num || !mul) tool_die("--session-cache shm:SIZE takes bytes, e.g. shm:4m or shm:512k, not '%s'", sz);
        memcpy(num, sz, dl);
        num[dl] = 0;
        size_t bytes = (size_t)tool_num_arg("--session-cache shm:SIZE", num, 1, 1L << 30) * (size_t)mul;
        if (!(o->cache = parley_session_cache_shm_new(bytes))) tool_die("cannot make a shared session cache of %s", o->cache_spec + 4);
    } else if (o->cache_spec && !strncmp(o->cache_spec, "memory:", 7)) {
        if (o->workers > 1) fprintf(stderr, "parley: note: memory:N caches are per worker; use shm:SIZE to share sessions\n");
        o->cache = parley_session_cache_memory_new((size_t)tool_num_arg("--session-cache memory:N", o->cache_spec + 7, 1, 100000000));
    } else if (o->cache_spec && !strncmp(o->cache_spec, "redis://", 8)) {
        /* Made in the parent: its connection is opened lazily, so each worker opens its own. */
        if (!(o->cache = tool_redis_cache_new(o->cache_spec))) tool_die("--session-cache redis://HOST:PORT[/DB], got %s", o->cache_spec);
        o->hosts_cache = o->cache_spec;
    } else if (o->cache_spec) {
        tool_die("--session-cache takes memory:N, shm:SIZE, redis://HOST:PORT[/DB] or none");
    }
    tool_opt_point(NULL);
    if (o->workers > 1 && o->ncert == 0) tool_die("--workers needs --cert/--key (each worker would otherwise make its own certificate)");
    if (o->ticket_keys && o->ticket_secret_file) tool_die("--ticket-keys and --ticket-secret are two ways to share ticket keys: choose one");
    if (o->ticket_rotate < 0) tool_die("--ticket-rotate takes seconds");
    if (o->hosts_cache && !o->ticket_keys && !o->ticket_secret_file)
        fprintf(stderr,
                "parley: note: the session cache %s is shared with other hosts, but without --ticket-keys or --ticket-secret "
                "this host seals its sessions under a key of its own: other hosts will not resume them, nor this one theirs "
                "(give every host the same --ticket-keys or --ticket-secret)\n",
                o->hosts_cache);
    if (o->workers > 1 && !o->ticket_keys && !o->ticket_secret_file) {
        /* One secret for all workers: they derive the same keys and rotate them
         * in step, so a ticket from one opens on another, and so does a value
         * of the shared session cache, which the same keys seal (also with
         * --no-tickets, where TLS 1.3 tickets are keys into that cache). */
        FILE *f = fopen("/dev/urandom", "rb");
        o->ticket_secret_len = 32;
        if (!f || fread(o->ticket_secret, 1, o->ticket_secret_len, f) != o->ticket_secret_len) tool_die("cannot read /dev/urandom");
        fclose(f);
    }
}

/* A failure at start-up ends the program; on a reload it is reported and the
 * caller keeps the config it has. */
static parley_config *cfg_fail(parley_config *cfg, int fatal)
{
    if (fatal) tool_die("%s", parley_config_error_string(cfg));
    fprintf(stderr, "parley: %s\n", parley_config_error_string(cfg));
    parley_config_free(cfg);
    return NULL;
}

parley_config *server_opts_config(const server_opts *o, int fatal)
{
    parley_config *cfg = parley_config_new();
    if (o->keyless) {
        /* The channel to the key server: Parley TLS 1.3 with our client
         * certificate. Made once; a reload's new config shares it with the
         * connections still on the old one. */
        if (!server_keyless) {
            char err[512];
            parley_config *kc = parley_config_new();
            if (parley_config_set_ca_file(kc, o->kl_ca) || parley_config_add_cert_files(kc, o->kl_cert, o->kl_key) ||
                parley_config_set_versions(kc, PARLEY_TLS1_3, PARLEY_TLS1_3))
                tool_die("%s", parley_config_error_string(kc));
            server_keyless = parley_keyless_new(o->keyless, kc, o->kl_pool, o->kl_timeout, err, sizeof err);
            parley_config_free(kc);
            if (!server_keyless) tool_die("%s", err);
        }
        for (int i = 0; i < o->ncert; i++)
            if (parley_config_add_cert_with_provider(cfg, o->certs[i], server_keyless)) return cfg_fail(cfg, fatal);
        printf("keyless: private-key operations go to %s\n", o->keyless);
    }
    /* At start-up a failure names the option's FILE:LINE when it came from
     * --config (AT: tool_opt_point); on a reload nothing is pointed at. */
#define AT(v) (fatal ? tool_opt_point(v) : (void)0)
    for (int i = 0; !o->keyless && i < o->ncert; i++) {
        AT(o->certs[i]);
        if (parley_config_add_cert_files(cfg, o->certs[i], o->keys[i])) {
            /* The key's line when the sentence is about the key file. */
            if (strstr(parley_config_error_string(cfg), o->keys[i])) AT(o->keys[i]);
            return cfg_fail(cfg, fatal);
        }
    }
    if (o->nocsp > o->ncert) tool_die("each --ocsp-response goes with a --cert (in the same order)");
    for (int i = 0; i < o->nocsp && (AT(o->ocsps[i]), 1); i++)
        if (parley_config_set_ocsp_response_file(cfg, i, o->ocsps[i])) return cfg_fail(cfg, fatal);
    if (o->ncert == 0) {
        char fp[128];
        if (parley_config_add_self_signed(cfg, fp, sizeof fp)) return cfg_fail(cfg, fatal);
        printf("certificate: self-signed for localhost, 127.0.0.1, ::1\nfingerprint: SHA256:%s\n", fp);
    }
    if (o->export_cert) {
        char pem[8192];
        FILE *f = fopen(o->export_cert, "w");
        if (!f || parley_config_export_cert_pem(cfg, 0, pem, sizeof pem) || fputs(pem, f) < 0)
            tool_die("cannot write the certificate to %s", o->export_cert);
        fclose(f);
        printf("certificate written to %s (give it to clients with --cafile)\n", o->export_cert);
    }
    AT(o->alpn);
    if (o->alpn && parley_config_set_alpn(cfg, o->alpn)) return cfg_fail(cfg, fatal);
    if (o->vmin && parley_config_set_versions(cfg, o->vmin, o->vmax)) return cfg_fail(cfg, fatal);
    if (o->allow_rsa) parley_config_allow_rsa_kx(cfg, 1);
    if (o->require_ems) parley_config_require_ems(cfg, 1);
    AT(o->verify);
    if (o->verify && strcmp(o->verify, "optional") && strcmp(o->verify, "require") && strcmp(o->verify, "none"))
        tool_die("--verify takes optional, require or none");
    if (o->verify && strcmp(o->verify, "none") && !o->client_ca) tool_die("--verify %s needs --client-ca FILE", o->verify);
    AT(o->client_ca);
    if (o->client_ca && parley_config_set_client_ca(cfg, o->client_ca)) return cfg_fail(cfg, fatal);
    for (int i = 0; i < o->ncrl && (AT(o->crls[i]), 1); i++)
        if (parley_config_add_crl_file(cfg, o->crls[i])) return cfg_fail(cfg, fatal);
    if (o->crl_warn) parley_config_set_crl_expired_fatal(cfg, 0);
    /* The warning once, at start (fatal), not at each reload. */
    if (tool_rsa_policy(cfg, o->min_rsa_bits, o->insecure_min_rsa_bits, fatal ? "parley" : NULL,
                        "client certificates with RSA keys below 2048 bits, which can be broken"))
        return cfg_fail(cfg, fatal);
    if (o->verify)
        parley_config_set_verify_client(cfg, !strcmp(o->verify, "require")    ? PARLEY_VERIFY_CLIENT_REQUIRE
                                             : !strcmp(o->verify, "optional") ? PARLEY_VERIFY_CLIENT_OPTIONAL
                                                                           : PARLEY_VERIFY_CLIENT_NONE);
    AT(o->ciphers);
    if (o->ciphers && parley_config_set_ciphers(cfg, o->ciphers)) return cfg_fail(cfg, fatal);
    AT(o->groups);
    if (o->groups && parley_config_set_groups(cfg, o->groups)) return cfg_fail(cfg, fatal);
    const char *kl = o->keylog ? o->keylog : getenv("SSLKEYLOGFILE");
    AT(o->keylog);
    if (kl && *kl && parley_config_set_keylog_file(cfg, kl)) return cfg_fail(cfg, fatal);
    if (o->trace) parley_config_set_trace(cfg, tool_trace, stdout);
    /* "none" turns off the library's default in-process cache too. */
    if (o->cache || (o->cache_spec && !strcmp(o->cache_spec, "none"))) parley_config_set_session_cache(cfg, o->cache);
    if (o->no_tickets) parley_config_set_tickets(cfg, 0);
    if (o->psk_ke) parley_config_set_psk_ke(cfg, 1);
    if (o->max_early) parley_config_set_max_early_data(cfg, o->max_early);
    if (o->lifetime && parley_config_set_session_lifetime(cfg, (uint32_t)o->lifetime)) return cfg_fail(cfg, fatal);
    AT(o->ticket_keys);
    if (o->ticket_keys && parley_config_set_ticket_keys_file(cfg, o->ticket_keys)) return cfg_fail(cfg, fatal);
    if (o->ticket_rotate && parley_config_set_ticket_rotation(cfg, (uint32_t)o->ticket_rotate)) return cfg_fail(cfg, fatal);
    if (o->ticket_secret_len && parley_config_set_ticket_secret(cfg, o->ticket_secret, o->ticket_secret_len))
        return cfg_fail(cfg, fatal);
    AT(o->ticket_secret_file);
    if (o->ticket_secret_file && parley_config_set_ticket_secret_file(cfg, o->ticket_secret_file)) return cfg_fail(cfg, fatal);
    if (o->padding && parley_config_set_record_padding(cfg, (size_t)o->padding)) return cfg_fail(cfg, fatal);
    AT(o->cert_compression);
    if (o->cert_compression && parley_config_set_cert_compression(cfg, o->cert_compression)) return cfg_fail(cfg, fatal);
    AT(o->rsl);
    if (o->rsl && parley_config_set_record_size_limit(cfg, tool_record_size_limit(o->rsl))) return cfg_fail(cfg, fatal);
    AT(NULL);
#undef AT

    return cfg;
}

int server_opts_check(const server_opts *o)
{
    /* Everything the start would load: certificates, keys, CAs, CRLs, OCSP
     * responses, ticket keys (errors end the program naming FILE:LINE). */
    /* A check writes nothing: not the --export-cert file (a live server's
     * clients may trust it) nor a key log ("" is no key log, and keeps
     * SSLKEYLOGFILE from being read). */
    server_opts c = *o;
    c.export_cert = NULL;
    c.keylog = "";
    parley_config *cfg = server_opts_config(&c, 1);
    parley_config_free(cfg);
    server_opts_keyless_free();
    printf("config ok\n");
    return 0;
}

void server_opts_keyless_free(void)
{
    /* Joins the provider's threads: none may still run while exit() tears
     * libcrypto down. */
    parley_keyless_free(server_keyless);
    server_keyless = NULL;
}

int tool_bind(const char *spec)
{
    char host[256], port[32];
    struct addrinfo hints = {0}, *res;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    /* Every failure leaves errno saying why (callers print strerror): a
     * spec that is not HOST:PORT or a host that does not resolve is EINVAL. */
    if (tool_split_hostport(spec, host, sizeof host, port, sizeof port) < 0 || getaddrinfo(host, port, &hints, &res) != 0) {
        errno = EINVAL;
        return -1;
    }
    int fd = socket(res->ai_family, SOCK_STREAM, 0), one = 1;
    if (fd < 0) {
        int e = errno;
        freeaddrinfo(res);
        errno = e;
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    int ok = bind(fd, res->ai_addr, res->ai_addrlen) == 0, e = errno;
    freeaddrinfo(res);
    if (!ok) {
        close(fd);
        errno = e;
    }
    return ok ? fd : -1;
}

void server_opts_cache_free(server_opts *o)
{
    /* Made by server_opts_finish from the spec; the proxy's Redis cache is
     * each worker's own (cache_spec NULL here). */
    const char *s = o->cache_spec;
    if (o->cache && s && !strncmp(s, "shm:", 4)) parley_session_cache_shm_free(o->cache);
    else if (o->cache && s && !strncmp(s, "memory:", 7)) parley_session_cache_memory_free(o->cache);
    else if (o->cache && s && !strncmp(s, "redis://", 8)) tool_redis_cache_free(o->cache);
    o->cache = NULL;
}
