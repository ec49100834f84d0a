/* fuzz_ticket_keys.c - the ticket key file (--ticket-keys) and ticket secret
 * file (--ticket-secret) parsers on arbitrary text: lines of any length, no
 * final newline, NUL bytes, comments, too many keys. */
#include <stddef.h>
#include <stdint.h>

#include "session/ticket.h"
#include "util/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pl_ticket_ring r;
    uint8_t secret[64];
    size_t n = 0;
    (void)pl_ticket_ring_parse(&r, (const char *)data, size, "fuzz");
    (void)pl_ticket_secret_parse((const char *)data, size, "fuzz", secret, sizeof secret, &n);
    pl_clear_error();
    return 0;
}
