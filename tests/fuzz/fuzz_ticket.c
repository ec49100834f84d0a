/* fuzz_ticket.c - a presented ticket is attacker input: opening it under a
 * ring (unknown key, truncation, forgery) and decoding what opens. A copy of
 * a genuine ticket with the fuzz input spliced in reaches the AEAD check. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "session/session.h"
#include "session/ticket.h"

static pl_ticket_ring ring;
static pl_buf genuine;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    pl_session s = {.version = 0x0303, .suite = 0xc02b, .ems = 1, .secret_len = 48, .lifetime = 60};
    pl_buf plain = {0};
    (void)argc;
    (void)argv;
    if (pl_ticket_ring_generate(&ring) < 0 || pl_session_encode(&s, &plain) < 0 || pl_ticket_seal(&ring, plain.data, plain.len, &genuine) < 0)
        return -1;
    pl_buf_free(&plain);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pl_buf plain = {0};
    pl_session s;
    if (pl_ticket_open(&ring, data, size, &plain) == 0) (void)pl_session_decode(plain.data, plain.len, &s);
    /* The genuine ticket's key name with the fuzz bytes after it. */
    uint8_t t[4096];
    size_t n = size < sizeof t - 16 ? size : sizeof t - 16;
    memcpy(t, genuine.data, 16);
    memcpy(t + 16, data, n);
    if (pl_ticket_open(&ring, t, 16 + n, &plain) == 0) (void)pl_session_decode(plain.data, plain.len, &s);
    pl_buf_free(&plain);
    return 0;
}
