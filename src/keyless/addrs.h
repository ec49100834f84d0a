/*
 * addrs.h - the keyless client's list of key servers: "HOST:PORT[,HOST:PORT...]".
 */
#ifndef PARLEY_KEYLESS_ADDRS_H
#define PARLEY_KEYLESS_ADDRS_H

#include <stddef.h>

#define KL_MAX_SERVERS 8

typedef struct {
    char host[256], port[16];
} kl_addr;

/* Parse `list` into out[0..KL_MAX_SERVERS); the number of servers, or -1
 * with a sentence naming the bad entry in err. */
int pl_kl_parse_addrs(const char *list, kl_addr out[KL_MAX_SERVERS], char *err, size_t errlen);

#endif
