/*
 * hostname.c - RFC 6125 section 6.4 DNS-ID matching, written here rather than
 * taken from X509_check_host so that the rules are ours, explicit and tested:
 *  - comparison is case-insensitive ASCII; one trailing dot is ignored;
 *  - a wildcard is honoured only as the whole left-most label ("*.example.com");
 *    partial-label wildcards ("w*.example.com") are refused (6.4.3 allows
 *    refusing them; browsers do);
 *  - the wildcard matches exactly one label, never an empty one, never across dots;
 *  - the wildcard needs at least two labels after it ("*.com" never matches);
 *  - no wildcard matching for A-labels ("xn--") in the reference label (6.4.3).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>

#include "policy.h"
#include "x509.h"

static size_t pl_trim_dot(const char *s)
{
    size_t n = strlen(s);
    if (n > 0 && s[n - 1] == '.') n--;
    return n;
}

static int pl_ieq(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (tolower((unsigned char)a[i]) != tolower((unsigned char)b[i])) return 0;
    return 1;
}

int pl_is_ip_literal(const char *host)
{
    unsigned char b[16];
    return inet_pton(AF_INET, host, b) == 1 || inet_pton(AF_INET6, host, b) == 1;
}

int pl_hostname_match(const char *pattern, const char *host)
{
    size_t pl = pl_trim_dot(pattern), hl = pl_trim_dot(host);
    if (pl == 0 || hl == 0) return 0;
    for (size_t i = 0; i < pl; i++)
        if (pattern[i] == '*' && i != 0) return 0; /* wildcard anywhere but first char */
    if (pattern[0] != '*') return pl == hl && pl_ieq(pattern, host, pl);
    /* "*." then the rest, which must itself have at least one dot. */
    if (pl < 3 || pattern[1] != '.') return 0;
    const char *rest = pattern + 2;
    size_t rl = pl - 2;
    if (memchr(rest, '.', rl) == NULL) return 0;
    const char *hdot = memchr(host, '.', hl);
    if (!hdot || hdot == host) return 0; /* host needs a non-empty first label */
    if (hl >= 4 && pl_ieq(host, "xn--", 4)) return 0;
    size_t hrest = hl - (size_t)(hdot + 1 - host);
    return hrest == rl && pl_ieq(hdot + 1, rest, rl);
}

/* RFC 6125 6.4 / RFC 5280 4.2.1.6: match against subjectAltName entries only. */
int pl_leaf_matches_host(X509 *leaf, const char *host) { return pl_leaf_match_san(leaf, host, NULL, 0); }

int pl_san_text(const GENERAL_NAME *g, char *out, size_t n)
{
    if (!out || !n) return 0;
    out[0] = 0;
    if (g->type == GEN_IPADD) {
        char ip[64] = "?";
        int l = ASN1_STRING_length(g->d.iPAddress);
        if (l == 4 || l == 16) inet_ntop(l == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(g->d.iPAddress), ip, sizeof ip);
        return snprintf(out, n, "IP:%s", ip);
    }
    if (g->type != GEN_DNS && g->type != GEN_EMAIL && g->type != GEN_URI) return 0;
    const ASN1_IA5STRING *v = g->type == GEN_DNS ? g->d.dNSName : g->type == GEN_EMAIL ? g->d.rfc822Name : g->d.uniformResourceIdentifier;
    /* The peer's bytes, escaped (names.c): no new lines in a report or log. */
    char t[256];
    pl_text_escape(ASN1_STRING_get0_data(v), (size_t)ASN1_STRING_length(v), t, sizeof t);
    return snprintf(out, n, "%s:%s", g->type == GEN_DNS ? "DNS" : g->type == GEN_EMAIL ? "email" : "URI", t);
}

int pl_leaf_match_san(X509 *leaf, const char *host, char *which, size_t wn)
{
    unsigned char ip[16];
    /* An IP literal (pl_is_ip_literal) is matched against iPAddress SANs. */
    size_t iplen = inet_pton(AF_INET, host, ip) == 1 ? 4 : inet_pton(AF_INET6, host, ip) == 1 ? 16 : 0;
    int want_ip = iplen != 0, match = 0;
    GENERAL_NAMES *gens = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
    for (int i = 0; gens && i < sk_GENERAL_NAME_num(gens) && !match; i++) {
        GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
        if (want_ip && g->type == GEN_IPADD) {
            match = (size_t)ASN1_STRING_length(g->d.iPAddress) == iplen &&
                    memcmp(ASN1_STRING_get0_data(g->d.iPAddress), ip, iplen) == 0;
        } else if (!want_ip && g->type == GEN_DNS) {
            const char *s = (const char *)ASN1_STRING_get0_data(g->d.dNSName);
            int sl = ASN1_STRING_length(g->d.dNSName);
            /* An embedded NUL would let "good.com\0.evil" pass a C compare. */
            if (sl > 0 && (int)strlen(s) == sl) match = pl_hostname_match(s, host);
        }
        if (match) (void)pl_san_text(g, which, wn); /* the SAN that matched, for the report */
    }
    GENERAL_NAMES_free(gens);
    return match;
}

/* A leaf given as DER (a chain the application's verify callback accepted)
 * against a host name: 1 matches, 0 does not, -1 not a certificate. */
int pl_der_leaf_matches_host(const uint8_t *der, size_t len, const char *host)
{
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    if (!x) return -1;
    int m = pl_leaf_matches_host(x, host);
    X509_free(x);
    return m;
}
