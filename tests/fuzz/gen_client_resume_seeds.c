/* gen_client_resume_seeds.c - writes the fixed sessions and the seed corpus
 * of fuzz_client_resume. Run once (from the fuzz build) and commit its
 * output; run again only if the session format or the ClientHello changes:
 *   build-fuzz/tests/fuzz/gen_client_resume_seeds tests/fuzz
 * It makes a TLS 1.2 session (ticket, EMS) and a TLS 1.3 ticket with real
 * full handshakes against in-memory parley servers, pins their times
 * (fuzz_det_pin_times), then resumes each one with the deterministic client
 * (fuzz_det.h) against the same server and records the server's bytes:
 *   seeds/client_resume/tls12_abbreviated: 0x00 || ServerHello (echoing the
 *     session id) NewSessionTicket, ChangeCipherSpec, Finished
 *   seeds/client_resume/tls13_psk: 0x01 || ServerHello (pre_shared_key),
 *     [CCS], EncryptedExtensions, Finished, NewSessionTicket
 *   seeds/client_resume/tls13_early_data: 0x03 || the same for a ticket
 *     that allows early data, resumed by a client sending FUZZ_EARLY_DATA as
 *     0-RTT to a server that rejects it: it shares the ticket key of the
 *     server that issued the ticket but takes no early data itself
 *     (max_early_data 0), so its EncryptedExtensions has no early_data
 *     (the fuzz client offers no ALPN, so the rejection cannot come from
 *     another ALPN protocol, RFC 8446 4.2.10)
 *   seeds/client_resume/tls13_early_accepted: 0x03 || the answer of a
 *     scripted server that accepts the early data (ServerHello, CCS,
 *     EncryptedExtensions with early_data, Finished): the client's
 *     EndOfEarlyData path, which a parley server that skips 0-RTT never
 *     shows the fuzzer
 *   seeds/client_resume/tls12_nst_2048: the first with the NewSessionTicket's
 *     ticket grown to PL_MAX_TICKET bytes and 16 bytes after the message in
 *     the same record: the largest ticket a session keeps (its Finished no
 *     longer verifies).
 * and fuzz_client_resume_sessions.h, the three session blobs. The
 * session13_early blob's record_size_limit (format 5's last field) is the
 * server's default 16385, which early records then follow (RFC 8449 4). */
#include <parley/parley.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_det.h"
#include "handshake/messages.h"
#include "internal.h"

static void die(const char *what)
{
    fprintf(stderr, "gen_client_resume_seeds: %s\n", what);
    exit(1);
}

static uint8_t flight[65536];
static size_t flight_len;

/* Drive both ends to completion; the client runs deterministically (when
 * det) and the server's bytes are recorded. Returns 0 when both finished. */
static int pump(parley_conn *cli, parley_conn *srv, int det)
{
    const uint8_t *out;
    size_t n, used;
    uint8_t buf[256];
    for (int round = 0; round < 64; round++) {
        fuzz_det_on = det;
        int crc = parley_conn_handshake_done(cli) ? parley_conn_read(cli, buf, sizeof buf, &n) : parley_conn_handshake(cli);
        fuzz_det_on = 0;
        if (crc == PARLEY_ERROR) return -1;
        parley_conn_pending_output(cli, &out, &n);
        if (n && (parley_conn_recv_bytes(srv, out, n, &used) != PARLEY_OK || used != n)) return -1;
        parley_conn_output_sent(cli, n);
        int src = parley_conn_handshake_done(srv) ? parley_conn_read(srv, buf, sizeof buf, &n) : parley_conn_handshake(srv);
        if (src == PARLEY_ERROR) return -1;
        parley_conn_pending_output(srv, &out, &n);
        if (n) {
            if (flight_len + n > sizeof flight) return -1;
            memcpy(flight + flight_len, out, n);
            flight_len += n;
            if (parley_conn_recv_bytes(cli, out, n, &used) != PARLEY_OK || used != n) return -1;
            parley_conn_output_sent(srv, n);
        }
    }
    return parley_conn_handshake_done(cli) && parley_conn_handshake_done(srv) ? 0 : -1;
}

static void put(const char *dir, const char *name, uint8_t sel, const uint8_t *p, size_t n)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/seeds/client_resume/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(&sel, 1, 1, f) != 1 || fwrite(p, 1, n, f) != n || fclose(f) != 0) die(path);
}

static void put_array(FILE *f, const char *name, const uint8_t *p, size_t n)
{
    fprintf(f, "static const uint8_t %s[%zu] = {", name, n);
    for (size_t i = 0; i < n; i++) fprintf(f, "%s0x%02x,", i % 16 ? " " : "\n    ", p[i]);
    fprintf(f, "\n};\n");
}

/* One session from a full handshake, times pinned. */
static size_t make_session(parley_config *ccfg, parley_config *scfg, uint8_t *blob, size_t cap)
{
    size_t len = 0;
    parley_conn *cli = parley_conn_new_client(ccfg, "localhost"), *srv = parley_conn_new_server(scfg);
    if (!cli || !srv || pump(cli, srv, 0) < 0) die("full handshake failed");
    if (parley_conn_get_session(cli, blob, cap, &len) != PARLEY_OK) die("no session");
    if (fuzz_det_pin_times(blob, len) < 0) die("unexpected session format");
    parley_conn_free(cli);
    parley_conn_free(srv);
    return len;
}

/* The resumption, recorded; with FUZZ_EARLY_DATA as 0-RTT when early. */
static void resume(parley_config *ccfg, parley_config *scfg, const uint8_t *blob, size_t len, int early)
{
    flight_len = 0;
    fuzz_det_reset();
    fuzz_det_on = 1;
    parley_conn *cli = parley_conn_new_client(ccfg, "localhost");
    if (!cli || parley_conn_set_session(cli, blob, len) != PARLEY_OK) die("session refused");
    if (early && parley_conn_set_early_data(cli, (const uint8_t *)FUZZ_EARLY_DATA, sizeof FUZZ_EARLY_DATA - 1) != PARLEY_OK)
        die("early data refused");
    fuzz_det_on = 0;
    parley_conn *srv = parley_conn_new_server(scfg);
    if (!srv || pump(cli, srv, 1) < 0) die("resumption failed");
    if (!parley_conn_resumed(cli)) die("not resumed");
    if (early && parley_conn_early_data_status(cli) != PARLEY_EARLY_DATA_REJECTED) die("early data not rejected");
    parley_conn_free(cli);
    parley_conn_free(srv);
}

/* The boundary: the 1.2 flight with its NewSessionTicket (the second
 * record, plaintext before the CCS) carrying a PL_MAX_TICKET-byte ticket,
 * then `inner` bytes inside the message after the ticket (a decode_error:
 * RFC 5077 3.3 has nothing after it) and 16 bytes after the message in the
 * same record. */
static void nst_boundary(const char *dir, const char *name, size_t inner)
{
    static uint8_t big[65536];
    size_t off = 5 + (size_t)(flight[3] << 8 | flight[4]); /* after ServerHello's record */
    const uint8_t *r = flight + off;
    if (off + 9 > flight_len || r[0] != 22 || r[5] != 4) die("no NewSessionTicket record after the ServerHello");
    size_t rlen = (size_t)(r[3] << 8 | r[4]), tl = 2048, ml = 4 + 2 + tl + inner, k, rest = flight_len - off - 5 - rlen;
    memcpy(big, flight, off);
    k = off;
    big[k++] = 22, big[k++] = 3, big[k++] = 3;
    big[k++] = (uint8_t)((4 + ml + 16) >> 8), big[k++] = (uint8_t)(4 + ml + 16);
    big[k++] = 4, big[k++] = 0, big[k++] = (uint8_t)(ml >> 8), big[k++] = (uint8_t)ml;
    memcpy(big + k, r + 9, 4), k += 4; /* lifetime hint */
    big[k++] = (uint8_t)(tl >> 8), big[k++] = (uint8_t)tl;
    for (size_t i = 0; i < tl + inner; i++) big[k++] = (uint8_t)i;
    memset(big + k, 0x14, 16), k += 16;
    memcpy(big + k, r + 5 + rlen, rest), k += rest;
    put(dir, name, 0, big, k);
}

/* The 0-RTT resumption answered by a scripted server (the library's own
 * key schedule, ServerHello writer and record protection) that accepts the
 * early data; the client must complete with it accepted. */
#define OK(x)                                                                                                           \
    do {                                                                                                                \
        if ((x) < 0) die(#x);                                                                                           \
    } while (0)
static void add_msg(pl_buf *tr, uint8_t type, const uint8_t *body, size_t len)
{
    OK(pl_buf_u8(tr, type));
    OK(pl_buf_u24(tr, (uint32_t)len));
    OK(pl_buf_bytes(tr, body, len));
}

static void resume_accepted(parley_config *ccfg, const uint8_t *blob, size_t len)
{
    static const uint8_t rnd[32] = {0x5a};
    uint8_t th[PL_MAX_HASH], pub[64], shared[64], fin[PL_MAX_HASH];
    size_t publen, slen;
    const uint8_t *out, *share;
    size_t n, sharelen, used;
    int aead, hash;
    pl_session ss;
    pl_client_hello ch;
    pl_ks13 ks;
    pl_kex *kx = NULL;
    pl_buf tr = {0}, sh = {0}, enc = {0};
    pl_rec_keys sk = {0};
    OK(pl_session_decode(blob, len, &ss));
    if (!pl_suite_params(ss.suite, &aead, &hash)) die("session suite");
    fuzz_det_reset();
    fuzz_det_on = 1;
    parley_conn *cli = parley_conn_new_client(ccfg, "localhost");
    if (!cli || parley_conn_set_session(cli, blob, len) != PARLEY_OK ||
        parley_conn_set_early_data(cli, (const uint8_t *)FUZZ_EARLY_DATA, sizeof FUZZ_EARLY_DATA - 1) != PARLEY_OK ||
        parley_conn_handshake(cli) != PARLEY_WANT_READ)
        die("0-RTT client");
    fuzz_det_on = 0;
    parley_conn_pending_output(cli, &out, &n);
    size_t chlen = (size_t)(out[3] << 8 | out[4]);
    if (n < 5 + chlen || out[0] != 22 || out[5] != 1) die("no ClientHello record");
    OK(pl_client_hello_parse(out + 5 + 4, chlen - 4, &ch));
    OK(pl_client_hello_check_shares(&ch));
    if (pl_client_hello_find_share(&ch, PARLEY_GROUP_X25519, &share, &sharelen) != 1) die("no x25519 share");
    OK(pl_buf_bytes(&tr, out + 5, chlen));
    OK(pl_kex_generate(PARLEY_GROUP_X25519, &kx, pub, &publen));
    OK(pl_kex_derive(kx, share, sharelen, shared, &slen));
    pl_kex_free(kx);
    OK(pl_server_hello_write(&sh, rnd, ch.session_id.p, ch.session_id.len, ss.suite, 0, PARLEY_GROUP_X25519, pub, publen, 0));
    parley_conn_output_sent(cli, n);
    size_t mark = tr.len;
    add_msg(&tr, PL_HS_SERVER_HELLO, sh.data, sh.len);
    flight_len = 0;
    pl_buf f = {0};
    OK(pl_rec_write_plain(&f, PL_CT_HANDSHAKE, tr.data + mark, tr.len - mark));
    OK(pl_rec_write_plain(&f, PL_CT_CHANGE_CIPHER_SPEC, (const uint8_t *)"\x01", 1));
    OK(pl_hash(hash, tr.data, tr.len, th));
    OK(pl_ks13_init_psk(&ks, hash, ss.secret, ss.secret_len));
    OK(pl_ks13_handshake(&ks, shared, slen, th));
    mark = tr.len;
    add_msg(&tr, PL_HS_ENCRYPTED_EXTENSIONS, (const uint8_t *)"\x00\x04\x00\x2a\x00\x00", 6);
    OK(pl_hash(hash, tr.data, tr.len, th));
    OK(pl_ks13_finished(hash, ks.s_hs, th, fin));
    add_msg(&tr, PL_HS_FINISHED, fin, pl_hash_len(hash));
    OK(pl_rec_install13(&sk, aead, hash, ks.s_hs, 1));
    OK(pl_buf_bytes(&enc, tr.data + mark, tr.len - mark));
    OK(pl_rec_seal13(&sk, &f, PL_CT_HANDSHAKE, enc.data, enc.len, 0));
    if (f.len > sizeof flight) die("flight too long");
    memcpy(flight, f.data, f.len);
    flight_len = f.len;
    fuzz_det_on = 1;
    if (parley_conn_recv_bytes(cli, flight, flight_len, &used) != PARLEY_OK || used != flight_len ||
        parley_conn_handshake(cli) != PARLEY_OK || parley_conn_early_data_status(cli) != PARLEY_EARLY_DATA_ACCEPTED)
        die("the scripted server's acceptance did not complete the handshake");
    fuzz_det_on = 0;
    parley_conn_free(cli);
    pl_rec_clear(&sk);
    pl_ks13_wipe(&ks);
    pl_buf_free(&tr);
    pl_buf_free(&sh);
    pl_buf_free(&enc);
    pl_buf_free(&f);
}

int main(int argc, char **argv)
{
    if (argc != 2) die("usage: gen_client_resume_seeds TESTS_FUZZ_DIR");
    const char *dir = argv[1];
    char fp[128], path[1024];
    parley_config *ccfg = parley_config_new(), *s12 = parley_config_new(), *s13 = parley_config_new(),
                  *s13e = parley_config_new(), *s13r = parley_config_new();
    static const uint8_t tkey[48] = {0x13, 0xe0};
    /* The fuzz target's client config (fuzz_client_resume.c): verification
     * off, so the sessions' trust identity is the "not verified" one. */
    parley_config_set_verify(ccfg, 0);
    if (parley_config_add_self_signed(s12, fp, sizeof fp) != PARLEY_OK ||
        parley_config_add_self_signed(s13, fp, sizeof fp) != PARLEY_OK ||
        parley_config_add_self_signed(s13e, fp, sizeof fp) != PARLEY_OK ||
        parley_config_set_max_early_data(s13e, 16384) != PARLEY_OK ||
        /* The rejecting server: s13e's ticket key, no early data of its own. */
        parley_config_add_self_signed(s13r, fp, sizeof fp) != PARLEY_OK ||
        parley_config_set_ticket_keys(s13e, tkey, 1) != PARLEY_OK || parley_config_set_ticket_keys(s13r, tkey, 1) != PARLEY_OK ||
        parley_config_set_versions(s12, PARLEY_TLS1_2, PARLEY_TLS1_2) != PARLEY_OK)
        die("server config");
    uint8_t b12[4096], b13[4096], b13e[4096];
    size_t n12 = make_session(ccfg, s12, b12, sizeof b12);
    size_t n13 = make_session(ccfg, s13, b13, sizeof b13);
    size_t n13e = make_session(ccfg, s13e, b13e, sizeof b13e);

    snprintf(path, sizeof path, "%s/fuzz_client_resume_sessions.h", dir);
    FILE *f = fopen(path, "w");
    if (!f) die(path);
    fprintf(f, "/* Written by gen_client_resume_seeds.c: the sessions fuzz_client_resume\n"
               " * offers (format 6, times pinned by fuzz_det_pin_times). The seeds in\n"
               " * seeds/client_resume/ were recorded against them. */\n");
    put_array(f, "session12", b12, n12);
    put_array(f, "session13", b13, n13);
    put_array(f, "session13_early", b13e, n13e);
    if (fclose(f) != 0) die(path);

    resume(ccfg, s12, b12, n12, 0);
    put(dir, "tls12_abbreviated", 0, flight, flight_len);
    nst_boundary(dir, "tls12_nst_2048", 0);
    resume(ccfg, s13, b13, n13, 0);
    put(dir, "tls13_psk", 1, flight, flight_len);
    resume(ccfg, s13r, b13e, n13e, 1);
    put(dir, "tls13_early_data", 3, flight, flight_len);
    resume_accepted(ccfg, b13e, n13e);
    put(dir, "tls13_early_accepted", 3, flight, flight_len);
    parley_config_free(ccfg);
    parley_config_free(s12);
    parley_config_free(s13);
    parley_config_free(s13e);
    parley_config_free(s13r);
    printf("sessions: TLS 1.2 %zu bytes, TLS 1.3 %zu bytes, TLS 1.3 with early data %zu bytes\n", n12, n13, n13e);
    return 0;
}
