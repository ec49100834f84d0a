/* fuzz_client_resume.c - a client offering a stored session, fed arbitrary
 * bytes: the resumed paths fuzz_client_records cannot reach (it has no
 * session). The first byte picks the session: even, a TLS 1.2 one with a
 * ticket (abbreviated handshake: ServerHello echoing the session id,
 * NewSessionTicket before CCS, CCS, Finished; RFC 5246 7.3, RFC 5077 3.3);
 * odd, a TLS 1.3 ticket (ServerHello with pre_shared_key, EncryptedExtensions
 * and Finished under the PSK's keys, then post-handshake messages; RFC 8446
 * 2.2). The sessions are fixed (fuzz_client_resume_sessions.h) and the
 * client's random bytes and key share are too (fuzz_det.h), so the recorded
 * server flights in seeds/client_resume/ (gen_client_resume_seeds.c) decrypt
 * and verify on every run, and mutations reach past them. */
#include <parley/parley.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_client_resume_sessions.h"
#include "fuzz_det.h"

static parley_config *cfg;

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
    for (int i = 0; i < 2; i++) {
        parley_conn *c = parley_conn_new_client(cfg, "localhost");
        if (!c || parley_conn_set_session(c, i ? session13 : session12, i ? sizeof session13 : sizeof session12) != PARLEY_OK)
            abort(); /* regenerate with gen_client_resume_seeds */
        parley_conn_free(c);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    int v13 = data[0] & 1;
    const uint8_t *out;
    uint8_t buf[512];
    size_t n, off = 1, used;
    fuzz_det_reset();
    fuzz_det_on = 1;
    parley_conn *c = parley_conn_new_client(cfg, "localhost");
    if (parley_conn_set_session(c, v13 ? session13 : session12, v13 ? sizeof session13 : sizeof session12) != PARLEY_OK)
        abort();
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
