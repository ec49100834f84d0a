/* keylog.c - NSS key log lines (the SSLKEYLOGFILE format Wireshark reads). */
#include <stdio.h>

#include "internal.h"

void pl_keylog(parley_conn *c, const char *label, const uint8_t *secret, size_t len)
{
    parley_config *cfg = c->cfg;
    char line[64 + 2 * 32 + 2 * PL_MAX_HASH + 4];
    if (!cfg->keylog && !cfg->keylog_file) return;
    size_t o = (size_t)snprintf(line, sizeof line, "%s ", label);
    for (int i = 0; i < 32; i++) o += (size_t)snprintf(line + o, sizeof line - o, "%02x", c->client_random[i]);
    line[o++] = ' ';
    for (size_t i = 0; i < len; i++) o += (size_t)snprintf(line + o, sizeof line - o, "%02x", secret[i]);
    line[o] = 0;
    if (cfg->keylog) cfg->keylog(cfg->keylog_arg, line);
    if (cfg->keylog_file) {
        /* One config may serve many threads: one locked write per line. */
        pthread_mutex_lock(&cfg->lock);
        fprintf(cfg->keylog_file, "%s\n", line);
        fflush(cfg->keylog_file);
        pthread_mutex_unlock(&cfg->lock);
    }
    pl_cleanse(line, sizeof line);
}
