/* fuzz_ticket.c - a presented ticket is attacker input: opening it under a
 * ring (unknown key, truncation, forgery) and decoding what opens. A copy of
 * a genuine ticket with the fuzz input spliced in reaches the AEAD check. The
 * same for a session-cache value (what a shared cache hands back), and each
 * kind opened as the other. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "session/session.h"
#include "session/ticket.h"

static pl_ticket_ring ring;
static pl_buf genuine, genuine_value;
static const uint8_t id[32] = {1, 2, 3};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    pl_session s = {.version = 0x0303, .suite = 0xc02b, .ems = 1, .secret_len = 48, .lifetime = 60};
    pl_buf plain = {0};
    (void)argc;
    (void)argv;
    if (pl_ticket_ring_generate(&ring) < 0 || pl_session_encode(&s, &plain) < 0 || pl_seal(&ring, PL_SEAL_TICKET, NULL, 0, plain.data, plain.len, &genuine) < 0 ||
        pl_seal(&ring, PL_SEAL_CACHE, id, sizeof id, plain.data, plain.len, &genuine_value) < 0)
        return -1;
    pl_buf_free(&plain);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pl_buf plain = {0};
    pl_session s;
    if (pl_open(&ring, PL_SEAL_TICKET, NULL, 0, data, size, &plain) == 0) (void)pl_session_decode(plain.data, plain.len, &s);
    /* The genuine ticket's key name with the fuzz bytes after it. */
    uint8_t t[4096];
    size_t n = size < sizeof t - 16 ? size : sizeof t - 16;
    memcpy(t, genuine.data, 16);
    memcpy(t + 16, data, n);
    if (pl_open(&ring, PL_SEAL_TICKET, NULL, 0, t, 16 + n, &plain) == 0) (void)pl_session_decode(plain.data, plain.len, &s);
    if (pl_open(&ring, PL_SEAL_CACHE, id, sizeof id, t, 16 + n, &plain) == 0) (void)pl_session_decode(plain.data, plain.len, &s);
    if (pl_open(&ring, PL_SEAL_CACHE, data, size < 32 ? size : 32, genuine_value.data, genuine_value.len, &plain) == 0 &&
        (size < 32 || memcmp(data, id, 32) != 0))
        __builtin_trap(); /* opened under another id */
    if (pl_open(&ring, PL_SEAL_TICKET, NULL, 0, genuine_value.data, genuine_value.len, &plain) == 0) __builtin_trap(); /* a cache value as a ticket */
    pl_buf_free(&plain);
    return 0;
}
