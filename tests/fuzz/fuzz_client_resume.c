/* fuzz_client_resume.c - a client offering a stored session, fed arbitrary
 * bytes: the resumed paths fuzz_client_records cannot reach (it has no
 * session). The first byte picks the session: even, a TLS 1.2 one with a
 * ticket (abbreviated handshake: ServerHello echoing the session id,
 * NewSessionTicket before CCS, CCS, Finished; RFC 5246 7.3, RFC 5077 3.3);
 * odd, a TLS 1.3 ticket (ServerHello with pre_shared_key, EncryptedExtensions
 * and Finished under the PSK's keys, then post-handshake messages; RFC 8446
 * 2.2); 3 (mod 4), a TLS 1.3 ticket allowing early data, offered with
 * FUZZ_EARLY_DATA as 0-RTT (CCS and early records after the ClientHello;
 * EncryptedExtensions with or without early_data, EndOfEarlyData, or the
 * data sent again after the handshake; RFC 8446 4.2.10). The sessions are fixed (fuzz_client_resume_sessions.h) and the
 * client's random bytes and key share are too (fuzz_det.h), so the recorded
 * server flights in seeds/client_resume/ (gen_client_resume_seeds.c) decrypt
 * and verify on every run, and mutations reach past them. */
#include <parley/parley.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_client_resume_sessions.h"
#include "fuzz_det.h"

static parley_config *cfg;

/* The session (and early data) the selector byte picks. */
static int pick(parley_conn *c, uint8_t sel)
{
    if (!(sel & 1)) return parley_conn_set_session(c, session12, sizeof session12);
    if ((sel & 3) == 1) return parley_conn_set_session(c, session13, sizeof session13);
    if (parley_conn_set_session(c, session13_early, sizeof session13_early) != PARLEY_OK) return PARLEY_ERROR;
    return parley_conn_set_early_data(c, (const uint8_t *)FUZZ_EARLY_DATA, sizeof FUZZ_EARLY_DATA - 1);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    cfg = parley_config_new();
    parley_config_set_verify(cfg, 0);
    /* Freeze the config now (with the real generator), so that every run
     * draws the same deterministic bytes; and check that the sessions are
     * still offered: a refused one would silently turn this target into
     * fuzz_client_records. */
    for (int i = 0; i < 4; i += 1) {
        parley_conn *c = parley_conn_new_client(cfg, "localhost");
        if (!c || pick(c, (uint8_t)i) != PARLEY_OK) abort(); /* regenerate with gen_client_resume_seeds */
        parley_conn_free(c);
    }
    return 0;
}

/* A structure-aware step on top of libFuzzer's byte mutations: resize the
 * last vector of a plaintext handshake message (before the first CCS),
 * keeping its length, the message's and the record's consistent. A vector
 * "last" is one whose 1/2/3-byte length ends it exactly at the message end:
 * a NewSessionTicket's ticket, a ServerHello's extensions. Byte mutations
 * alone must change three length fields together to make a message longer,
 * which they practically never do on a 2 KB input; this is how the fuzzer
 * reaches sizes such as a ticket larger than a session holds (PL_MAX_TICKET,
 * the c12_recv_nst overflow) from the recorded flights. */
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

static uint32_t be(const uint8_t *p, int w)
{
    uint32_t v = 0;
    for (int i = 0; i < w; i++) v = v << 8 | p[i];
    return v;
}

static void put_be(uint8_t *p, int w, uint32_t v)
{
    for (int i = w - 1; i >= 0; i--, v >>= 8) p[i] = (uint8_t)v;
}

static size_t resize_tail_vector(uint8_t *d, size_t size, size_t max, uint32_t *rnd)
{
    struct { size_t rec, msg, at; int w; } cand[64];
    size_t nc = 0;
    for (size_t off = 1; off + 5 <= size && nc < 64;) {
        size_t rlen = be(d + off + 3, 2), end = off + 5 + rlen;
        if (end > size || d[off] == 20) break; /* encrypted from here on */
        for (size_t m = off + 5; d[off] == 22 && m + 4 <= end && nc < 64;) {
            size_t mlen = be(d + m + 1, 3), mend = m + 4 + mlen;
            if (mend > end) break;
            for (int w = 1; w <= 3; w++)
                for (size_t at = m + 4; at + w <= mend && nc < 64; at++)
                    if (at + w + be(d + at, w) == mend) cand[nc].rec = off, cand[nc].msg = m, cand[nc].at = at, cand[nc++].w = w;
            m = mend;
        }
        off = end;
    }
    if (!nc) return size;
    *rnd = *rnd * 1103515245u + 12345u;
    size_t i = (*rnd >> 8) % nc, at = cand[i].at, rec = cand[i].rec, msg = cand[i].msg;
    int w = cand[i].w;
    uint32_t len = be(d + at, w), rlen = be(d + rec + 3, 2), mlen = be(d + msg + 1, 3);
    *rnd = *rnd * 1103515245u + 12345u;
    /* Half the time a few bytes, else up to 4 KB; a quarter of the time shrink. */
    uint32_t k = (*rnd >> 4) & 1 ? 1 + ((*rnd >> 8) % 16) : 1 + ((*rnd >> 8) % 4096);
    size_t tail = at + w + len; /* the message end */
    if ((*rnd >> 5) % 4 == 0) {
        if (k > len) k = len;
        memmove(d + tail - k, d + tail, size - tail);
        put_be(d + at, w, len - k), put_be(d + msg + 1, 3, mlen - k), put_be(d + rec + 3, 2, rlen - k);
        return size - k;
    }
    uint32_t lim = w == 1 ? 0xff : w == 2 ? 0xffff : 0xffffff;
    if (size + k > max) k = (uint32_t)(max - size);
    if (len + k > lim) k = lim - len;
    if (rlen + k > 0xffff) k = 0xffff - rlen;
    if (!k) return size;
    memmove(d + tail + k, d + tail, size - tail);
    for (uint32_t j = 0; j < k; j++) d[tail + j] = (uint8_t)(j * 131 + (*rnd >> 16));
    put_be(d + at, w, len + k), put_be(d + msg + 1, 3, mlen + k), put_be(d + rec + 3, 2, rlen + k);
    return size + k;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
    uint32_t rnd = seed;
    if (seed % 8) return LLVMFuzzerMutate(data, size, max_size);
    return resize_tail_vector(data, size, max_size, &rnd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    const uint8_t *out;
    uint8_t buf[512];
    size_t n, off = 1, used;
    fuzz_det_reset();
    fuzz_det_on = 1;
    parley_conn *c = parley_conn_new_client(cfg, "localhost");
    if (pick(c, data[0]) != PARLEY_OK) abort();
    (void)parley_conn_handshake(c);
    parley_conn_pending_output(c, &out, &n);
    parley_conn_output_sent(c, n);
    while (off < size) {
        parley_conn_recv_bytes(c, data + off, size - off, &used);
        off += used;
        /* After the handshake: application data and post-handshake messages
         * (a TLS 1.3 NewSessionTicket, KeyUpdate) on the resumed keys. */
        int rc = PARLEY_OK;
        for (int k = 0; k < 64 && rc == PARLEY_OK; k++)
            rc = parley_conn_handshake_done(c) ? parley_conn_read(c, buf, sizeof buf, &n) : parley_conn_handshake(c);
        parley_conn_pending_output(c, &out, &n);
        parley_conn_output_sent(c, n);
        if (rc != PARLEY_WANT_READ || used == 0) break;
    }
    parley_conn_free(c);
    fuzz_det_on = 0;
    return 0;
}
