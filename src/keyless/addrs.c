/*
 * addrs.c - parse the keyless client's list of key servers.
 *
 * Every entry is checked before anything connects: a list that silently
 * dropped a bad entry would leave an edge with one key server fewer than its
 * operator believes, which shows only on the day the others fail.
 */
#include "addrs.h"

#include <stdio.h>
#include <string.h>

/* One entry, [s, e): HOST:PORT, or [V6]:PORT (the brackets are not kept). */
static int parse_one(const char *s, const char *e, kl_addr *a, int n, char *err, size_t errlen)
{
    size_t len = (size_t)(e - s);
    const char *colon = NULL;
    for (const char *p = s; p < e; p++)
        if (*p == ':') colon = p;
    if (len == 0) {
        snprintf(err, errlen, "keyless address list: entry %d is empty (the list is HOST:PORT[,HOST:PORT...])", n);
        return -1;
    }
    const char *h = s, *he = colon;
    if (colon && *h == '[' && he > h + 1 && he[-1] == ']') h++, he--;
    if (!colon || he == h || colon + 1 == e) {
        snprintf(err, errlen, "keyless address list: entry %d (\"%.*s\") is not HOST:PORT", n, (int)(len > 300 ? 300 : len), s);
        return -1;
    }
    if ((size_t)(he - h) >= sizeof a->host || (size_t)(e - colon - 1) >= sizeof a->port) {
        snprintf(err, errlen, "keyless address list: entry %d is too long", n);
        return -1;
    }
    memcpy(a->host, h, (size_t)(he - h));
    a->host[he - h] = 0;
    memcpy(a->port, colon + 1, (size_t)(e - colon - 1));
    a->port[e - colon - 1] = 0;
    return 0;
}

int pl_kl_parse_addrs(const char *list, kl_addr out[KL_MAX_SERVERS], char *err, size_t errlen)
{
    int n = 0;
    const char *s = list ? list : "";
    for (;;) {
        const char *e = strchr(s, ',');
        if (!e) e = s + strlen(s);
        if (n == KL_MAX_SERVERS) {
            snprintf(err, errlen, "keyless address list: more than %d key servers", KL_MAX_SERVERS);
            return -1;
        }
        memset(&out[n], 0, sizeof out[n]);
        if (parse_one(s, e, &out[n], n + 1, err, errlen) < 0) return -1;
        n++;
        if (!*e) return n;
        s = e + 1;
    }
}
