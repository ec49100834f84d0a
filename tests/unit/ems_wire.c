/* ems_wire.c - see ems_wire.h. */
#include "ems_wire.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "internal.h"

/* ec_point_formats, extended_master_secret, renegotiation_info as a Parley
 * ClientHello carries them (client13.c). */
static const uint8_t ext12[] = {0x00, 0x0b, 0x00, 0x02, 0x01, 0x00, 0x00, 0x17, 0x00, 0x00, 0xff, 0x01, 0x00, 0x01, 0x00};

/* Rename extended_master_secret to GREASE in b[0..n): 1 if found. */
static int rename_ems(uint8_t *b, size_t n)
{
    for (size_t i = 0; i + sizeof ext12 <= n; i++)
        if (memcmp(b + i, ext12, sizeof ext12) == 0) {
            b[i + 6] = 0x0a;
            b[i + 7] = 0x0a;
            return 1;
        }
    return 0;
}

/* The server's plaintext flight: ServerHello fields, a NewSessionTicket. */
static void scan_server(wire *w, uint8_t *b, size_t n)
{
    for (size_t r = 0; r + 5 <= n;) {
        size_t rl = (size_t)b[r + 3] << 8 | b[r + 4];
        if (r + 5 + rl > n) return;
        if (b[r] == 20) w->ccs_seen = 1;
        for (size_t m = r + 5; b[r] == 22 && !w->ccs_seen && m + 4 <= r + 5 + rl;) {
            size_t ml = (size_t)b[m + 1] << 16 | (size_t)b[m + 2] << 8 | b[m + 3];
            if (b[m] == 4) w->nst_seen = 1;
            if (b[m] == 2) {
                /* type(1) len(3) version(2) random(32) session_id<0..32> suite(2) comp(1) exts<..> */
                size_t o = m + 4 + 2 + 32;
                w->sh_seen = 1;
                w->sh_sid_len = b[o];
                o += 1 + b[o] + 3;
                size_t end = o + 2 + ((size_t)b[o] << 8 | b[o + 1]);
                for (o += 2; o + 4 <= end;) {
                    uint16_t t = (uint16_t)(b[o] << 8 | b[o + 1]);
                    size_t el = (size_t)b[o + 2] << 8 | b[o + 3];
                    if (t == 0x0017) {
                        w->sh_ems = 1;
                        if (w->ems_to_ticket) b[o + 1] = 0x23; /* extended_master_secret -> session_ticket */
                    }
                    if (t == 0x0023) w->sh_ticket_ext = 1;
                    o += 4 + el;
                }
            }
            m += 4 + ml;
        }
        r += 5 + rl;
    }
}

static void wire_tamper(void *arg, int dir, uint8_t *b, size_t n)
{
    wire *w = arg;
    if (dir == 1) {
        scan_server(w, b, n);
        return;
    }
    if (!w->strip_ems || w->stripped || n < 6 || b[0] != 22 || b[5] != 1) return;
    /* The ClientHello on the wire, and the same bytes in the client's transcript. */
    pl_transcript *t = &w->p->client->hs->transcript;
    assert_true(rename_ems(b, n));
    assert_true(rename_ems(t->pending.data, t->pending.len));
    if (t->keep_raw) assert_true(rename_ems(t->raw.data, t->raw.len));
    w->stripped = 1;
}

parley_config *client12(void)
{
    parley_config *cc = client_cfg("ec256");
    assert_int_equal(parley_config_set_versions(cc, PARLEY_TLS1_2, PARLEY_TLS1_2), PARLEY_OK);
    return cc;
}

void pair_offering(pair *p, parley_config *cc, parley_config *sc, const uint8_t *sess, size_t sl)
{
    parley_config_ref(cc);
    parley_config_ref(sc);
    make_pair(p, cc, sc, "localhost");
    if (sess) assert_int_equal(parley_conn_set_session(p->client, sess, sl), PARLEY_OK);
}

int run_conn(pair *p, wire *w, parley_config *cc, parley_config *sc, int how, const uint8_t *sess, size_t sl)
{
    memset(w, 0, sizeof *w);
    pair_offering(p, cc, sc, sess, sl);
    w->p = p;
    w->strip_ems = (how & WIRE_STRIP_EMS) != 0;
    w->ems_to_ticket = (how & WIRE_EMS_TO_TICKET) != 0;
    p->tamper = wire_tamper;
    p->tamper_arg = w;
    int rc = pair_handshake(p, NULL, NULL);
    if (w->strip_ems) assert_true(w->stripped);
    return rc;
}

size_t ems_session(parley_config *cc, parley_config *sc, uint8_t *sess, size_t cap)
{
    pair p;
    wire w;
    size_t sl = 0;
    assert_int_equal(run_conn(&p, &w, cc, sc, 0, NULL, 0), 0);
    assert_int_equal(parley_conn_get_session(p.client, sess, cap, &sl), PARLEY_OK);
    free_pair(&p);
    return sl;
}

