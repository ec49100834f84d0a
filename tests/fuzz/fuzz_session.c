/* fuzz_session.c - decoding a cached or saved session (bytes from a cache
 * back end or a --sess-in file are input like any other), and re-encoding
 * whatever decodes: the encoding must round-trip. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "session/session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pl_session s, t;
    pl_buf b = {0};
    if (pl_session_decode(data, size, &s) == 0) {
        if (pl_session_encode(&s, &b) == 0 && pl_session_decode(b.data, b.len, &t) == 0 && memcmp(s.secret, t.secret, 48) != 0)
            __builtin_trap();
        pl_buf_free(&b);
    }
    return 0;
}
