/* verify.c - `parley verify`: a chain checked on its own, by the library's
 * parley_verify_chain (the code a handshake runs), printed for people (one
 * line per check) or as one JSON object. Exit 0 verified, 2 not, 1 usage or
 * input file errors (the file named). Public API only: no OpenSSL here. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"

typedef struct {
    const char *cafile, *untrusted, *host, *ip, *cert;
    const char *crls[16];
    int ncrls, purpose, json, min_rsa, insecure_min_rsa, max_depth;
    long long at_time;
} verify_opts;

static int verify_usage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "parley verify: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    return TOOL_EXIT_USAGE;
}

static int verify_number(const char *s, long long lo, long long hi, long long *out)
{
    char *e;
    errno = 0;
    long long v = strtoll(s, &e, 10);
    if (!*s || *e || errno || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

static int verify_parse(int argc, char **argv, verify_opts *o)
{
    memset(o, 0, sizeof *o);
    o->purpose = PARLEY_PURPOSE_SERVER;
    o->max_depth = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        long long v;
        int has = i + 1 < argc;
        const char *val = has ? argv[i + 1] : NULL;
        if (!strcmp(a, "--json")) {
            o->json = 1;
            continue;
        }
        if (a[0] != '-' || !strcmp(a, "-")) {
            if (o->cert) return verify_usage("only one CERT.pem (more intermediates: --untrusted FILE)");
            o->cert = a;
            continue;
        }
        if (!has) return verify_usage("%s needs a value", a);
        i++;
        if (!strcmp(a, "--cafile")) o->cafile = val;
        else if (!strcmp(a, "--untrusted")) o->untrusted = val;
        else if (!strcmp(a, "--crl")) {
            if (o->ncrls == 16) return verify_usage("at most 16 --crl files");
            o->crls[o->ncrls++] = val;
        } else if (!strcmp(a, "--host")) o->host = val;
        else if (!strcmp(a, "--ip")) o->ip = val;
        else if (!strcmp(a, "--purpose")) {
            if (!strcmp(val, "server")) o->purpose = PARLEY_PURPOSE_SERVER;
            else if (!strcmp(val, "client")) o->purpose = PARLEY_PURPOSE_CLIENT;
            else return verify_usage("--purpose takes server or client");
        } else if (!strcmp(a, "--at-time")) {
            if (verify_number(val, 1, 253402300799LL, &v)) return verify_usage("--at-time takes UNIX seconds");
            o->at_time = v;
        } else if (!strcmp(a, "--max-chain-depth")) {
            if (verify_number(val, 0, 32, &v)) return verify_usage("--max-chain-depth takes 0..32");
            o->max_depth = (int)v;
        } else if (!strcmp(a, "--min-rsa-bits")) {
            if (verify_number(val, 2048, 16384, &v)) return verify_usage("--min-rsa-bits takes 2048..16384 (below: --insecure-min-rsa-bits)");
            o->min_rsa = (int)v;
        } else if (!strcmp(a, "--insecure-min-rsa-bits")) {
            if (verify_number(val, 1024, 16384, &v)) return verify_usage("--insecure-min-rsa-bits takes 1024..16384");
            o->insecure_min_rsa = (int)v;
        } else return verify_usage("unknown option %s (try parley --help)", a);
    }
    if (!o->cert) return verify_usage("no certificate file given (parley verify [options] CERT.pem)");
    if (o->host && o->ip) return verify_usage("--host and --ip exclude each other");
    unsigned char ipb[16];
    if (o->ip && inet_pton(AF_INET, o->ip, ipb) != 1 && inet_pton(AF_INET6, o->ip, ipb) != 1)
        return verify_usage("--ip %s is not an IPv4 or IPv6 address", o->ip);
    if (o->min_rsa && o->insecure_min_rsa) return verify_usage("--min-rsa-bits and --insecure-min-rsa-bits exclude each other");
    return 0;
}

/* Read a PEM file into a certificate list; 1 (usage/input error, printed) or 0. */
static int verify_read(const char *path, parley_cert_list **out)
{
    FILE *f = fopen(path, "rb");
    if (!f) return verify_usage("%s: cannot open: %s", path, strerror(errno));
    size_t cap = PARLEY_CERT_LIST_MAX_INPUT + 1, len = 0;
    uint8_t *buf = malloc(cap);
    if (!buf) {
        fclose(f);
        return verify_usage("%s: out of memory", path);
    }
    size_t r;
    while (len < cap && (r = fread(buf + len, 1, cap - len, f)) > 0) len += r;
    int rerr = ferror(f);
    fclose(f);
    if (rerr) {
        free(buf);
        return verify_usage("%s: cannot read", path);
    }
    if (len == 0) {
        free(buf);
        return verify_usage("%s: empty file", path);
    }
    char err[256];
    int rc = parley_cert_list_from_pem(buf, len, out, err, sizeof err);
    free(buf);
    if (rc == PARLEY_OK) return 0;
    if (!strncmp(err, "DER data", 8)) {
        /* leaf.der -> leaf.pem for the hint */
        char pem[512];
        const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
        int stem = dot && (!slash || dot > slash) ? (int)(dot - path) : (int)strlen(path);
        snprintf(pem, sizeof pem, "%.*s.pem", stem, path);
        return verify_usage("%s: %s (convert with: openssl x509 -inform DER -in %s -out %s)", path, err, path, pem);
    }
    if (!strcmp(err, "empty input")) return verify_usage("%s: empty file", path);
    return verify_usage("%s: %s", path, err);
}

static void json_str(const char *s)
{
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') printf("\\%c", *p);
        else if (*p == '\n') printf("\\n");
        else if (*p == '\r') printf("\\r");
        else if (*p == '\t') printf("\\t");
        else if (*p < 0x20 || *p == 0x7f) printf("\\u%04x", *p);
        else putchar(*p);
    }
    putchar('"');
}

static void print_json(const parley_verify_result *r)
{
    printf("{\"chain\":[");
    for (size_t i = 0; i < r->path_len; i++) {
        const parley_verify_cert *c = &r->path[i];
        printf("%s{\"subject\":", i ? "," : "");
        json_str(c->subject);
        printf(",\"issuer\":");
        json_str(c->issuer);
        printf(",\"key\":");
        json_str(c->key);
        printf(",\"signature\":");
        json_str(c->signature);
        printf(",\"not_before\":%lld,\"not_after\":%lld,\"trust_anchor\":%s}", (long long)c->not_before, (long long)c->not_after,
               c->trust_anchor ? "true" : "false");
    }
    printf("],\"checks\":{");
    for (int k = 0; k < PARLEY_CHECK_COUNT; k++) {
        printf("%s\"%s\":{\"verdict\":", k ? "," : "", parley_verify_check_name(k));
        json_str(parley_verify_verdict_name(r->checks[k].verdict));
        printf(",\"detail\":");
        json_str(r->checks[k].detail);
        printf("}");
    }
    printf("},\"verify\":");
    json_str(r->ok ? "ok" : r->reason);
    if (r->warning[0]) {
        printf(",\"warning\":");
        json_str(r->warning);
    }
    printf(",\"ok\":%s}\n", r->ok ? "true" : "false");
}

static void print_text(const parley_verify_result *r)
{
    printf("chain: %zu certificates\n", r->path_len);
    for (size_t i = 0; i < r->path_len; i++) {
        const parley_verify_cert *c = &r->path[i];
        int self = c->trust_anchor && !strcmp(c->subject, c->issuer);
        printf("  %zu: %s  key=%s  sig=%s  %s%s\n", i, c->subject, c->key, self ? "(self-signed, not checked)" : c->signature,
               self ? "" : "issuer=", self ? "[trust anchor]" : c->issuer);
        if (c->trust_anchor && !self) printf("     [trust anchor]\n");
    }
    for (int k = 0; k < PARLEY_CHECK_COUNT; k++)
        printf("%s: %s (%s)\n", parley_verify_check_name(k), parley_verify_verdict_name(r->checks[k].verdict), r->checks[k].detail);
    if (r->warning[0]) printf("%s%s\n", strncmp(r->warning, "warning:", 8) ? "warning: " : "", r->warning);
    printf("verify: %s\n", r->ok ? "ok" : r->reason);
}

int tool_verify(int argc, char **argv)
{
    verify_opts o;
    if (verify_parse(argc, argv, &o)) return TOOL_EXIT_USAGE;
    parley_cert_list *leaf = NULL, *extra = NULL;
    if (verify_read(o.cert, &leaf)) return TOOL_EXIT_USAGE;
    if (o.untrusted && verify_read(o.untrusted, &extra)) {
        parley_cert_list_free(leaf);
        return TOOL_EXIT_USAGE;
    }
    size_t n1 = parley_cert_list_count(leaf), n2 = parley_cert_list_count(extra), n = 0;
    if (n1 + n2 > PARLEY_CERT_LIST_MAX) {
        parley_cert_list_free(leaf);
        parley_cert_list_free(extra);
        return verify_usage("more than %d certificates in %s and %s together", PARLEY_CERT_LIST_MAX, o.cert, o.untrusted);
    }
    const uint8_t *der[PARLEY_CERT_LIST_MAX];
    size_t len[PARLEY_CERT_LIST_MAX];
    /* The leaf first, then the file's intermediates, then --untrusted: all
     * candidates for path building, in any order (as a peer's chain). */
    for (size_t i = 0; i < n1; i++, n++) der[n] = parley_cert_list_der(leaf, i, &len[n]);
    for (size_t i = 0; i < n2; i++, n++) der[n] = parley_cert_list_der(extra, i, &len[n]);
    parley_config *cfg = parley_config_new();
    int rc = cfg ? 0 : -1;
    if (rc == 0 && o.cafile && parley_config_set_ca_file(cfg, o.cafile)) rc = -1;
    for (int i = 0; rc == 0 && i < o.ncrls; i++)
        if (parley_config_add_crl_file(cfg, o.crls[i])) rc = -1;
    if (rc == 0 && o.at_time && parley_config_set_time(cfg, o.at_time)) rc = -1;
    if (rc == 0 && o.max_depth >= 0 && parley_config_set_max_chain_depth(cfg, o.max_depth)) rc = -1;
    if (rc == 0 && o.min_rsa && parley_config_set_min_rsa_bits(cfg, o.min_rsa)) rc = -1;
    if (rc == 0 && o.insecure_min_rsa) {
        fprintf(stderr, "parley verify: WARNING: --insecure-min-rsa-bits %d accepts RSA keys below 2048 bits, which can be broken; "
                        "never use this for real trust decisions\n", o.insecure_min_rsa);
        if (parley_config_set_insecure_min_rsa_bits(cfg, o.insecure_min_rsa)) rc = -1;
    }
    parley_verify_result res;
    if (rc == 0) rc = parley_verify_chain(cfg, der, len, n, o.host ? o.host : o.ip, o.purpose, &res);
    int code;
    if (rc == PARLEY_ERROR) {
        fprintf(stderr, "parley verify: %s\n", cfg ? parley_config_error_string(cfg) : "out of memory");
        code = TOOL_EXIT_USAGE;
    } else {
        if (o.json) print_json(&res);
        else print_text(&res);
        code = rc == PARLEY_OK ? 0 : TOOL_EXIT_FAIL;
    }
    parley_config_free(cfg);
    parley_cert_list_free(leaf);
    parley_cert_list_free(extra);
    return code;
}
