/* messages_test.c - message codecs: the trace's messages parse, our writers
 * round-trip, and malformed input is rejected with the right code. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "handshake/messages.h"
#include "session/session.h"
#include "helpers.h"

static vec_block *V;
static int NV;

static int setup(void **state)
{
    (void)state;
    NV = vec_load(&V);
    return NV > 100 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    vec_free(V, NV);
    return 0;
}

static const uint8_t *tmsg(int section, const char *name, int nth, size_t *len)
{
    char prefix[96];
    snprintf(prefix, sizeof prefix, "construct a %s", name);
    const vec_block *b = vec_find(V, NV, section, NULL, prefix, nth);
    assert_non_null(b);
    return vec_field(b, name, len);
}

static void test_trace_messages_parse(void **state)
{
    (void)state;
    size_t l;
    const uint8_t *m = tmsg(3, "ClientHello", 0, &l);
    pl_client_hello ch;
    assert_int_equal(pl_client_hello_parse(m + 4, l - 4, &ch), 0);
    assert_true(ch.has_sni && !strcmp(ch.sni, "server"));
    assert_true(ch.has_versions && pl_u16_list_has(ch.versions, 0x0304));
    const uint8_t *share;
    size_t sl;
    assert_int_equal(pl_client_hello_find_share(&ch, 0x001d, &share, &sl), 1);
    assert_int_equal(sl, 32);
    assert_int_equal(pl_client_hello_find_share(&ch, 0x0017, &share, &sl), 0);

    pl_server_hello sh;
    m = tmsg(3, "ServerHello", 0, &l);
    assert_int_equal(pl_server_hello_parse(m + 4, l - 4, &sh), 0);
    assert_false(sh.is_hrr);
    assert_int_equal(sh.suite, 0x1301);
    assert_int_equal(sh.version, 0x0304);
    assert_int_equal(sh.group, 0x001d);
    m = tmsg(5, "ServerHello", 0, &l); /* the HelloRetryRequest */
    assert_int_equal(pl_server_hello_parse(m + 4, l - 4, &sh), 0);
    assert_true(sh.is_hrr);
    assert_int_equal(sh.group, 0x0017);
    assert_true(sh.has_cookie);

    pl_encrypted_extensions ee;
    m = tmsg(3, "EncryptedExtensions", 0, &l);
    /* The trace's client offered record_size_limit and its server answers it
     * in EncryptedExtensions with 2^14 + 1 (RFC 8449 4); whether it was
     * offered is the client's check (record_size_limit_test). */
    assert_int_equal(pl_encrypted_extensions_parse(m + 4, l - 4, &ee), 0);
    assert_int_equal(ee.record_size_limit, 16385);
    pl_certificate ct;
    m = tmsg(3, "Certificate", 0, &l);
    assert_int_equal(pl_certificate_parse(m + 4, l - 4, &ct), 0);
    assert_int_equal(ct.n, 1);
    pl_certificate_verify cv;
    m = tmsg(3, "CertificateVerify", 0, &l);
    assert_int_equal(pl_certificate_verify_parse(m + 4, l - 4, &cv), 0);
    assert_int_equal(cv.scheme, 0x0804);
    pl_new_session_ticket nst;
    m = tmsg(3, "NewSessionTicket", 0, &l);
    assert_int_equal(pl_new_session_ticket_parse(m + 4, l - 4, &nst), 0);
    assert_true(nst.ticket.len > 0);
}

static void test_every_truncation_rejected(void **state)
{
    (void)state;
    const char *names[] = {"ClientHello", "ServerHello", "Certificate", "CertificateVerify", "NewSessionTicket"};
    for (int k = 0; k < 5; k++) {
        size_t l;
        const uint8_t *m = tmsg(3, names[k], 0, &l);
        const uint8_t *body = m + 4;
        size_t bl = l - 4;
        for (size_t cut = 0; cut < bl; cut++) {
            int rc;
            pl_client_hello ch;
            pl_server_hello sh;
            pl_certificate ct;
            pl_certificate_verify cv;
            pl_new_session_ticket nst;
            switch (k) {
            case 0: rc = pl_client_hello_parse(body, cut, &ch); break;
            case 1: rc = pl_server_hello_parse(body, cut, &sh); break;
            case 2: rc = pl_certificate_parse(body, cut, &ct); break;
            case 3: rc = pl_certificate_verify_parse(body, cut, &cv); break;
            default: rc = pl_new_session_ticket_parse(body, cut, &nst); break;
            }
            /* A hello may legally end right after compression (no
             * extensions); everything else must fail to decode. */
            if (rc == 0) {
                assert_true(k <= 1);
                continue;
            }
            assert_int_equal(rc, -PL_ERR_DECODE);
        }
    }
}

static void test_server_hello_round_trip(void **state)
{
    (void)state;
    pl_buf b = {0};
    uint8_t rnd[32], sid[32], share[32];
    memset(rnd, 1, 32);
    memset(sid, 2, 32);
    memset(share, 3, 32);
    assert_int_equal(pl_server_hello_write(&b, rnd, sid, 32, 0x1303, 0, 0x001d, share, 32, -1), 0);
    pl_server_hello sh;
    assert_int_equal(pl_server_hello_parse(b.data, b.len, &sh), 0);
    assert_int_equal(sh.suite, 0x1303);
    assert_int_equal(sh.group, 0x001d);
    assert_int_equal(sh.share.len, 32);
    assert_memory_equal(sh.random, rnd, 32);
    assert_memory_equal(sh.session_id.p, sid, 32);
    pl_buf_reset(&b);
    assert_int_equal(pl_server_hello_write(&b, rnd, sid, 0, 0x1301, 1, 0x0018, NULL, 0, -1), 0);
    assert_int_equal(pl_server_hello_parse(b.data, b.len, &sh), 0);
    assert_true(sh.is_hrr);
    assert_int_equal(sh.group, 0x0018);
    /* A trailing byte is rejected. */
    assert_int_equal(pl_buf_u8(&b, 0), 0);
    assert_true(pl_server_hello_parse(b.data, b.len, &sh) < 0);
    pl_buf_free(&b);
}

static void test_certificate_round_trip(void **state)
{
    (void)state;
    uint8_t c1[] = {0x30, 1, 2}, c2[] = {0x30, 9};
    uint8_t *ders[] = {c1, c2};
    size_t lens[] = {3, 2};
    pl_buf b = {0};
    assert_int_equal(pl_certificate_write(&b, (const uint8_t *)"x", 1, ders, lens, 2), 0);
    pl_certificate ct;
    assert_int_equal(pl_certificate_parse(b.data, b.len, &ct), 0);
    assert_int_equal(ct.n, 2);
    assert_int_equal(ct.context.len, 1);
    assert_memory_equal(ct.certs[1].p, c2, 2);
    pl_buf_free(&b);
    /* An empty certificate entry is a decode error. */
    uint8_t empty_entry[] = {0, 0, 0, 5, 0, 0, 0, 0, 0};
    assert_int_equal(pl_certificate_parse(empty_entry, sizeof empty_entry, &ct), -PL_ERR_DECODE);
}

/* Extension rules: duplicates, wrong message, psk not last, unsolicited. */
static void test_extension_rules(void **state)
{
    (void)state;
    /* server_name (0) twice, each with an empty body. */
    uint8_t twice[] = {0, 0, 0, 0, 0, 0, 0, 0};
    pl_cursor c = pl_cur(twice, sizeof twice);
    assert_int_equal(pl_ext_walk(&c, PL_IN_CH, NULL, NULL), -PL_ERR_ILLEGAL_PARAMETER);
    /* cookie (44) in a ServerHello. */
    uint8_t cookie[] = {0, 44, 0, 0};
    c = pl_cur(cookie, sizeof cookie);
    assert_int_equal(pl_ext_walk(&c, PL_IN_SH, NULL, NULL), -PL_ERR_ILLEGAL_PARAMETER);
    c = pl_cur(cookie, sizeof cookie);
    assert_int_equal(pl_ext_walk(&c, PL_IN_HRR, NULL, NULL), 0);
    /* pre_shared_key (41) not last in a ClientHello. */
    uint8_t psk[] = {0, 41, 0, 0, 0, 0, 0, 0};
    c = pl_cur(psk, sizeof psk);
    assert_int_equal(pl_ext_walk(&c, PL_IN_CH, NULL, NULL), -PL_ERR_ILLEGAL_PARAMETER);
    /* Unknown extension types are ignored. */
    uint8_t unknown[] = {0xfa, 0xfa, 0, 1, 0};
    c = pl_cur(unknown, sizeof unknown);
    assert_int_equal(pl_ext_walk(&c, PL_IN_CH, NULL, NULL), 0);
    /* ALPN in EE with two names: decode_error. */
    uint8_t ee[] = {0, 12, 0, 16, 0, 8, 0, 6, 2, 'h', '2', 1, 'x', 0};
    pl_encrypted_extensions e;
    ee[1] = 11;
    assert_int_equal(pl_encrypted_extensions_parse(ee, 13, &e), -PL_ERR_DECODE);
    /* ALPN in a TLS 1.3 ServerHello (it belongs in EncryptedExtensions). */
    uint8_t sh[2 + 32 + 1 + 2 + 1 + 2 + 6 + 4] = {3, 3};
    size_t o = 34;
    sh[o++] = 0;                          /* session id */
    sh[o++] = 0x13, sh[o++] = 0x01;       /* suite */
    sh[o++] = 0;                          /* compression */
    sh[o++] = 0, sh[o++] = 10;            /* extensions length */
    sh[o++] = 0, sh[o++] = 43, sh[o++] = 0, sh[o++] = 2, sh[o++] = 3, sh[o++] = 4; /* supported_versions 1.3 */
    sh[o++] = 0, sh[o++] = 16, sh[o++] = 0, sh[o++] = 0;                           /* ALPN */
    pl_server_hello s;
    assert_int_equal(pl_server_hello_parse(sh, o, &s), -PL_ERR_ILLEGAL_PARAMETER);
    /* A TLS 1.2 ServerHello (no supported_versions) may carry ALPN, but not a cookie. */
    uint8_t sh12[2 + 32 + 1 + 2 + 1 + 2 + 4 + 4] = {3, 3};
    o = 34;
    sh12[o++] = 0;
    sh12[o++] = 0xc0, sh12[o++] = 0x2f;
    sh12[o++] = 0;
    sh12[o++] = 0, sh12[o++] = 8;
    sh12[o++] = 0, sh12[o++] = 23, sh12[o++] = 0, sh12[o++] = 0; /* extended_master_secret */
    sh12[o++] = 0, sh12[o++] = 44, sh12[o++] = 0, sh12[o++] = 0; /* cookie */
    assert_int_equal(pl_server_hello_parse(sh12, o, &s), -PL_ERR_ILLEGAL_PARAMETER);
    sh12[o - 3] = 0x17 + 100; /* an unknown extension instead: unsolicited */
    assert_int_equal(pl_server_hello_parse(sh12, o, &s), -PL_ERR_UNSUPPORTED_EXTENSION);
    sh12[o - 4] = 0xff, sh12[o - 3] = 0x01, sh12[o - 1] = 0; /* renegotiation_info, but empty body: decode error */
    assert_int_equal(pl_server_hello_parse(sh12, o, &s), -PL_ERR_DECODE);
}

static void test_small_messages(void **state)
{
    (void)state;
    int req;
    uint8_t ku[] = {1};
    assert_int_equal(pl_key_update_parse(ku, 1, &req), 0);
    assert_int_equal(req, 1);
    ku[0] = 2;
    assert_int_equal(pl_key_update_parse(ku, 1, &req), -PL_ERR_ILLEGAL_PARAMETER);
    assert_int_equal(pl_key_update_parse(ku, 0, &req), -PL_ERR_DECODE);
    uint8_t two[] = {0, 0};
    assert_int_equal(pl_key_update_parse(two, 2, &req), -PL_ERR_DECODE);
    /* NewSessionTicket with an eight-day lifetime. */
    uint8_t nst[] = {0, 0x0a, 0x8c, 0x00, 0, 0, 0, 0, 0, 0, 1, 0xaa, 0, 0};
    pl_new_session_ticket t;
    assert_int_equal(pl_new_session_ticket_parse(nst, sizeof nst, &t), -PL_ERR_ILLEGAL_PARAMETER);
    nst[1] = 0;
    assert_int_equal(pl_new_session_ticket_parse(nst, sizeof nst, &t), 0);
    /* CertificateRequest without signature_algorithms: missing_extension. */
    uint8_t cr[] = {0, 0, 0};
    pl_certificate_request r;
    assert_int_equal(pl_certificate_request_parse(cr, sizeof cr, &r), -PL_ERR_MISSING_EXTENSION);
    /* CertificateVerify content layout (RFC 8446 4.4.3). */
    pl_buf b = {0};
    uint8_t th[32] = {0};
    assert_int_equal(pl_certificate_verify_content(1, th, 32, &b), 0);
    assert_int_equal(b.len, 64 + 33 + 1 + 32);
    assert_int_equal(b.data[0], 0x20);
    assert_int_equal(b.data[64 + 33], 0);
    pl_buf_free(&b);
}

/* RFC 5077 3.3: a TLS 1.2 NewSessionTicket's ticket<0..2^16-1> may be larger
 * than Parley keeps (GnuTLS sends 2454 bytes after an ffdhe8192 exchange):
 * well formed, and simply not stored. */
static void test_tls12_large_ticket_is_well_formed(void **state)
{
    (void)state;
    static uint8_t m[4 + 2 + 65535];
    uint32_t hint;
    pl_cursor t;
    size_t sizes[] = {PL_MAX_TICKET + 1, 2454, 65535};
    for (size_t i = 0; i < 3; i++) {
        memset(m, 0x5a, sizeof m);
        m[0] = 0, m[1] = 0, m[2] = 0x1c, m[3] = 0x20; /* lifetime hint 7200 */
        m[4] = (uint8_t)(sizes[i] >> 8), m[5] = (uint8_t)sizes[i]; /* ticket length */
        assert_int_equal(pl_new_session_ticket12_parse(m, 6 + sizes[i], &hint, &t), 0);
        assert_int_equal(hint, 7200);
        assert_int_equal(t.len, sizes[i]);
        /* One byte short of its length: decode_error. */
        assert_int_equal(pl_new_session_ticket12_parse(m, 5 + sizes[i], &hint, &t), -PL_ERR_DECODE);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trace_messages_parse),   cmocka_unit_test(test_every_truncation_rejected),
        cmocka_unit_test(test_server_hello_round_trip), cmocka_unit_test(test_certificate_round_trip),
        cmocka_unit_test(test_extension_rules),         cmocka_unit_test(test_small_messages),
        cmocka_unit_test(test_tls12_large_ticket_is_well_formed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
