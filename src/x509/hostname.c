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
#include <string.h>

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
