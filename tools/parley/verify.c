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
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            tool_verify_usage(stdout);
            exit(0);
        }
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
    /* An empty name would silently skip the host check (and exit 0). */
    if ((o->host && !o->host[0]) || (o->ip && !o->ip[0])) return verify_usage("--%s needs a non-empty value", o->host ? "host" : "ip");
    unsigned char ipb[16];
    if (o->ip && inet_pton(AF_INET, o->ip, ipb) != 1 && inet_pton(AF_INET6, o->ip, ipb) != 1)
        return verify_usage("--ip %s is not an IPv4 or IPv6 address", o->ip);
    if (o->min_rsa && o->insecure_min_rsa) return verify_usage("--min-rsa-bits and --insecure-min-rsa-bits exclude each other");
    return 0;
}

/* Skip one DER tag and length at *p (definite lengths, RFC 5280 uses DER);
 * 0 with *p at the contents, or -1. */
static int verify_read(const char *path, parley_cert_list **out);

static int der_header(const uint8_t **p, const uint8_t *end, uint8_t *tag)
{
    if (end - *p < 2) return -1;
    *tag = (*p)[0];
    size_t nl = (*p)[1] & 0x80 ? (size_t)((*p)[1] & 0x7f) : 0;
    *p += 2;
    if ((size_t)(end - *p) < nl) return -1;
    *p += nl; /* the length itself does not matter for the guess */
    return 0;
}

/* Does this DER look like an X.509 certificate (RFC 5280 4.1: SEQUENCE {
 * SEQUENCE tbsCertificate { [0] version ... } ...})? A PKCS#8 key (INTEGER
 * first) or a CRL (SEQUENCE { SEQUENCE { INTEGER ...) differs there: the hint to convert
 * with `openssl x509 -inform DER` is given only to certificates. */
static int der_is_certificate(const uint8_t *p, size_t len)
{
    const uint8_t *end = p + len;
    uint8_t t;
    if (der_header(&p, end, &t) || t != 0x30 || der_header(&p, end, &t) || t != 0x30 || p >= end) return 0;
    return *p == 0xa0; /* v3 (and v2): the explicit [0] version first; v1 certificates get no hint */
    return 0;
}

/* A file the library will read (--cafile, --crl): open it here first so
 * the error says why (errno), and for --cafile that it holds certificates
 * (the library's own message only says it could not load them). */
static int verify_precheck(const char *path, int certs)
{
    parley_cert_list *l = NULL;
    if (certs) {
        if (verify_read(path, &l)) return TOOL_EXIT_USAGE;
        parley_cert_list_free(l);
        return 0;
    }
    FILE *f = fopen(path, "rb");
    if (!f) return verify_usage("%s: cannot open: %s", path, strerror(errno));
    char c;
    int rerr = fread(&c, 1, 1, f) == 0 && ferror(f) ? errno : 0;
    int empty = !rerr && feof(f);
    fclose(f);
    if (rerr) return verify_usage("%s: cannot read: %s", path, strerror(rerr));
    if (empty) return verify_usage("%s: empty file", path);
    return 0;
}

/* Read a PEM file into a certificate list; 1 (usage/input error, printed) or 0. */
static int verify_read(const char *path, parley_cert_list **out)
{
    int in = !strcmp(path, "-"); /* "-": the chain from standard input */
    FILE *f = in ? stdin : fopen(path, "rb");
    if (!f) return verify_usage("%s: cannot open: %s", path, strerror(errno));
    size_t cap = PARLEY_CERT_LIST_MAX_INPUT + 1, len = 0;
    uint8_t *buf = malloc(cap);
    if (!buf) {
        if (!in) fclose(f);
        return verify_usage("%s: out of memory", path);
    }
    size_t r;
    while (len < cap && (r = fread(buf + len, 1, cap - len, f)) > 0) len += r;
    int rerr = ferror(f) ? errno : 0;
    if (!in) fclose(f);
    if (rerr) {
        free(buf);
        return verify_usage("%s: cannot read: %s", path, strerror(rerr));
    }
    if (len == cap) {
        free(buf);
        return verify_usage("%s: larger than %d bytes", path, PARLEY_CERT_LIST_MAX_INPUT);
    }
    if (len == 0) {
        free(buf);
        return verify_usage("%s: empty file", path);
    }
    char err[256];
    int rc = parley_cert_list_from_pem(buf, len, out, err, sizeof err);
    if (rc == PARLEY_OK) {
        free(buf);
        return 0;
    }
    /* The library spots DER by a long-form length; a small DER object (an
     * EC key: 30 77 ...) is binary data starting with a SEQUENCE too. */
    int der = !strncmp(err, "DER data", 8) || (buf[0] == 0x30 && len > 1 && memchr(buf, 0, len) && !memmem(buf, len, "-----BEGIN ", 11));
    int cert = der && der_is_certificate(buf, len);
    free(buf);
    if (der && !cert) return verify_usage("%s: DER data, not PEM (and not a DER certificate)", path);
    if (der) {
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

/* common.c: valid UTF-8 JSON whatever bytes a certificate name holds (RFC 8259 8.1). */
#define json_str(s) tool_json_str(stdout, (s))

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

/* Names and details come from the certificates: printed through
 * tool_text_str, so no byte of theirs can start a line of its own. */
#define T(s) tool_text_str(stdout, (s))

static void print_text(const parley_verify_result *r)
{
    printf("chain: %zu certificates\n", r->path_len);
    for (size_t i = 0; i < r->path_len; i++) {
        const parley_verify_cert *c = &r->path[i];
        int self = c->trust_anchor && !strcmp(c->subject, c->issuer);
        /* An anchor's self-signature is not checked (policy.c); an anchor
         * that is not self-signed shows its issuer like the others. */
        printf("  %zu: ", i);
        T(c->subject);
        printf("  key=");
        T(c->key);
        if (self) {
            printf("  sig=(self-signed, not checked)  [trust anchor]\n");
            continue;
        }
        printf("  sig=");
        T(c->signature);
        printf("  issuer=");
        T(c->issuer);
        printf("%s\n", c->trust_anchor ? "  [trust anchor]" : "");
    }
    for (int k = 0; k < PARLEY_CHECK_COUNT; k++) {
        printf("%s: %s (", parley_verify_check_name(k), parley_verify_verdict_name(r->checks[k].verdict));
        T(r->checks[k].detail);
        printf(")\n");
    }
    if (r->warning[0]) {
        printf("%s", strncmp(r->warning, "warning:", 8) ? "warning: " : "");
        T(r->warning);
        printf("\n");
    }
    printf("verify: ");
    T(r->ok ? "ok" : r->reason);
    printf("\n");
}

int tool_verify(int argc, char **argv)
{
    verify_opts o;
    if (verify_parse(argc, argv, &o)) return TOOL_EXIT_USAGE;
    parley_cert_list *leaf = NULL, *extra = NULL;
    if (o.cafile && verify_precheck(o.cafile, 1)) return TOOL_EXIT_USAGE;
    for (int i = 0; i < o.ncrls; i++)
        if (verify_precheck(o.crls[i], 0)) return TOOL_EXIT_USAGE;
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
    if (rc == 0 && tool_rsa_policy(cfg, o.min_rsa, o.insecure_min_rsa, "parley verify",
                                   "RSA keys below 2048 bits, which can be broken; never use this for real trust decisions"))
        rc = -1;
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
