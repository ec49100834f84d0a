/* config_compress.c - the config's side of certificate compression (RFC
 * 8879): which algorithms, and each certificate's Certificate message
 * compressed once per algorithm, on first use, outside the config lock. */
#include <string.h>

#include "config_internal.h"
#include "handshake/cert_compress.h"

/* Default preference: brotli (the smallest, and what browsers offer), zstd,
 * zlib; whichever of them are built in. */
static const uint8_t pl_cc_default[PL_CC_MAX] = {PL_CC_BROTLI, PL_CC_ZSTD, PL_CC_ZLIB};

size_t pl_cc_config_algs(const parley_config *cfg, uint8_t *algs)
{
    size_t n = 0;
    if (cfg->cc_set) {
        memcpy(algs, cfg->cc_algs, cfg->ncc_algs);
        return cfg->ncc_algs;
    }
    for (size_t i = 0; i < PL_CC_MAX; i++)
        if (pl_cc_available(pl_cc_default[i])) algs[n++] = pl_cc_default[i];
    return n;
}

int parley_config_set_cert_compression(parley_config *cfg, const char *list)
{
    uint8_t algs[PL_CC_MAX];
    size_t n = 0;
    char item[16];
    PL_CFG_MUTABLE(cfg);
    PL_CFG_ARG(cfg, list);
    size_t ll = strlen(list);
    if (ll && list[ll - 1] == ',') {
        pl_cfg_errf(cfg, "bad certificate compression list: %s", list);
        return PARLEY_ERROR;
    }
    if (strcmp(list, "none") != 0) {
        for (const char *p = list; *p;) {
            const char *e = strchr(p, ',');
            size_t l = e ? (size_t)(e - p) : strlen(p);
            if (l == 0 || l >= sizeof item) {
                pl_cfg_errf(cfg, "bad certificate compression list: %s", list);
                return PARLEY_ERROR;
            }
            memcpy(item, p, l);
            item[l] = 0;
            int a = pl_cc_from_name(item);
            if (!a) {
                pl_cfg_errf(cfg, "unknown certificate compression algorithm: %s (zlib, brotli, zstd)", item);
                return PARLEY_ERROR;
            }
            if (!pl_cc_available(a)) {
                pl_cfg_errf(cfg, "certificate compression algorithm %s is not built into this Parley", item);
                return PARLEY_ERROR;
            }
            if (memchr(algs, a, n)) {
                pl_cfg_errf(cfg, "certificate compression algorithm %s is listed twice", item);
                return PARLEY_ERROR;
            }
            algs[n++] = (uint8_t)a;
            p = e ? e + 1 : p + l;
        }
    }
    memcpy(cfg->cc_algs, algs, n);
    cfg->ncc_algs = n;
    cfg->cc_set = 1;
    return PARLEY_OK;
}

/* The CompressedCertificate body of plain with alg into m (left empty
 * when compressing saves nothing); < 0 only when memory ran out. */
static int pl_cc_make(int alg, const pl_buf *plain, pl_buf *m)
{
    pl_buf z = {0};
    size_t mk;
    int rc = pl_cc_compress(alg, plain->data, plain->len, &z);
    /* RFC 8879 4 leaves compressing to the sender: only when it saves
     * bytes, counting the 5 bytes of algorithm and length it adds. */
    if (rc == 0 && z.len + 5 < plain->len) {
        /* The message body: algorithm, uncompressed_length, data<1..2^24-1>. */
        rc = pl_buf_u16(m, (uint16_t)alg);
        if (rc == 0) rc = pl_buf_u24(m, (uint32_t)plain->len);
        if (rc == 0) rc = pl_buf_open(m, 3, &mk);
        if (rc == 0) rc = pl_buf_bytes(m, z.data, z.len);
        if (rc == 0) rc = pl_buf_close(m, 3, mk);
        if (rc < 0) pl_buf_free(m);
    } else if (rc < 0 && rc != -PL_ERR_NOMEM) {
        rc = 0; /* the library refused: send it plain, and do not try again */
    }
    pl_buf_free(&z);
    return rc;
}

const pl_buf *pl_cc_entry_get(parley_config *cfg, pl_cert_entry *e, int stapled, int alg)
{
    int v = stapled ? 1 : 0, a = alg - 1;
    const pl_buf *plain = v ? &e->cert_msg_ocsp : &e->cert_msg;
    if (a < 0 || a >= PL_CC_MAX) return NULL;
    /* Made once per (certificate, form, algorithm), not per handshake:
     * brotli at its best quality costs milliseconds (4-140 ms for large
     * chains). Published with release after the buffer is written, so
     * later handshakes read it with one acquire load and no lock. */
    if (__atomic_load_n(&e->cc_state[v][a], __ATOMIC_ACQUIRE)) return e->cc_msg[v][a].len ? &e->cc_msg[v][a] : NULL;
    /* Compressed outside cfg->lock, which every connection of the config
     * takes (input buffers, tickets, the key log): only the publication is
     * under it. Threads racing on the first use each compress; the first to
     * publish wins and the others free their copy. The buffer never changes
     * again until the config is freed. Out of memory: send it plain this
     * time and try again on the next handshake. */
    pl_buf m = {0};
    if (pl_cc_make(alg, plain, &m) < 0) return NULL;
    pthread_mutex_lock(&cfg->lock);
    if (!e->cc_state[v][a]) {
        e->cc_msg[v][a] = m;
        m = (pl_buf){0};
        __atomic_store_n(&e->cc_state[v][a], 1, __ATOMIC_RELEASE);
    }
    const pl_buf *r = e->cc_msg[v][a].len ? &e->cc_msg[v][a] : NULL;
    pthread_mutex_unlock(&cfg->lock);
    pl_buf_free(&m);
    return r;
}

void pl_cc_entry_free(pl_cert_entry *e)
{
    for (int v = 0; v < 2; v++)
        for (int a = 0; a < PL_CC_MAX; a++) {
            pl_buf_free(&e->cc_msg[v][a]);
            e->cc_state[v][a] = 0;
        }
}
