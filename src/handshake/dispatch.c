/* dispatch.c - runs a handshake table; see dispatch.h. */
#include "dispatch.h"

#include "cert_compress.h"

const char *pl_hs_type_name(int type)
{
    switch (type) {
    case 0: return "HelloRequest";
    case PL_HS_CLIENT_HELLO: return "ClientHello";
    case PL_HS_SERVER_HELLO: return "ServerHello";
    case PL_HS_NEW_SESSION_TICKET: return "NewSessionTicket";
    case PL_HS_END_OF_EARLY_DATA: return "EndOfEarlyData";
    case PL_HS_ENCRYPTED_EXTENSIONS: return "EncryptedExtensions";
    case PL_HS_CERTIFICATE: return "Certificate";
    case PL_HS_SERVER_KEY_EXCHANGE: return "ServerKeyExchange";
    case PL_HS_SERVER_HELLO_DONE: return "ServerHelloDone";
    case PL_HS_CLIENT_KEY_EXCHANGE: return "ClientKeyExchange";
    case PL_HS_CERTIFICATE_REQUEST: return "CertificateRequest";
    case PL_HS_CERTIFICATE_VERIFY: return "CertificateVerify";
    case PL_HS_FINISHED: return "Finished";
    case PL_HS_CERTIFICATE_STATUS: return "CertificateStatus";
    case PL_HS_KEY_UPDATE: return "KeyUpdate";
    case PL_HS_COMPRESSED_CERTIFICATE: return "CompressedCertificate";
    case PL_HS_MESSAGE_HASH: return "message_hash";
    default: return "unknown handshake message";
    }
}

static int pl_next_allowed(const pl_hs_row *row, int st)
{
    for (int i = 0; i < PL_MAX_NEXT; i++)
        if (row->next[i] == st && st != 0) return 1;
    return 0;
}

/* A message after which the peer must wait for our answer ends its flight,
 * so it ends its record: handshake bytes after it in the same record cannot
 * have been written by a peer that followed the protocol. RFC 8446 5.1: a
 * ClientHello may precede a key change (0-RTT) and MUST be aligned with a
 * record boundary, also the second one after a HelloRetryRequest (a first
 * one followed by part of the second was sent before the HRR was seen). In
 * TLS 1.2 (RFC 5246 7.3) the client waits for ServerHelloDone before its
 * ClientKeyExchange, the server for the client's flight before its
 * NewSessionTicket. unexpected_message, as for a message spanning a key change. */
static int pl_hs_check_flight_end(parley_conn *c, uint8_t type, size_t len)
{
    int ends = c->is_server ? type == PL_HS_CLIENT_HELLO : type == PL_HS_SERVER_HELLO_DONE;
    PL_ENSURE(!ends || c->hsin.len <= len, PL_ERR_UNEXPECTED_MESSAGE,
              "handshake data after %s in the same record (the peer must wait for our answer)", pl_hs_type_name(type));
    return 0;
}

int pl_hs_run(parley_conn *c, const pl_hs_table *t0)
{
    if (!c->hs->table) c->hs->table = t0;
    while (c->hs->state != PL_ST_DONE) {
        const pl_hs_table *t = c->hs->table;
        int st = c->hs->state, rc;
        PL_ENSURE(st > 0 && (size_t)st < t->n && t->rows[st].fn, PL_ERR_INTERNAL, "bad %s handshake state %d", t->role, st);
        const pl_hs_row *row = &t->rows[st];
        if (row->expect == 0) {
            rc = row->fn(c, NULL, 0);
        } else {
            const uint8_t *msg;
            size_t len;
            rc = pl_conn_next_message(c, &msg, &len);
            if (rc < 0) return rc;
            if (rc == 0) {
                rc = pl_conn_process_records(c, 1);
                if (rc < 0) return rc;
                /* Data held in the input buffer during the handshake is
                 * accepted 0-RTT data (early_data_server.c): the application reads it. */
                if (rc == 0) return c->app_len ? PL_HS_WAIT_EARLY : PL_HS_WAIT_READ;
                continue;
            }
            /* RFC 8879 4: a CompressedCertificate replaces a Certificate once
             * we offered compression (TLS 1.3); otherwise it is unexpected. */
            if (msg[0] != row->expect && !(row->expect_alt && msg[0] == row->expect_alt) &&
                !pl_cc_accepts(c, msg[0], row->expect, row->expect_alt)) {
                PL_BAIL(PL_ERR_UNEXPECTED_MESSAGE, "received %s while waiting for %s", pl_hs_type_name(msg[0]),
                        pl_hs_type_name(row->expect));
            }
            PL_GUARD(pl_hs_check_flight_end(c, msg[0], len));
            if (c->hs->lookup_state == PL_LOOKUP_IDLE) pl_trace_handshake(c, 0, msg, len);
            rc = row->fn(c, msg, len);
            /* A session lookup pending: the message stays queued and this
             * state runs again when the answer is in. */
            if (rc == PL_HS_WAIT_SESSION) return rc;
            if (rc >= 0 && !row->own_transcript) rc = pl_transcript_add(&c->hs->transcript, msg, len);
            pl_conn_drop_message(c, len);
        }
        if (rc < 0) return rc;
        if (rc == PL_HS_WAIT_KEY_OP) return rc;
        /* A handler may hand over to another table (TLS 1.3 -> 1.2 after the
         * hellos); otherwise the next state must be one its row allows. */
        if (c->hs->table == t)
            PL_ENSURE(pl_next_allowed(row, c->hs->state), PL_ERR_INTERNAL,
                      "%s state %s moved to a state its table row does not allow", t->role, row->name);
    }
    return PL_HS_WAIT_OK;
}
