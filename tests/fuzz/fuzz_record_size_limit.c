/* fuzz_record_size_limit.c - the record_size_limit extension (RFC 8449):
 * the input is the extension's body, parsed alone and inside the three
 * messages that may carry it (an EncryptedExtensions and a TLS 1.2
 * ServerHello built around it; a ClientHello in fuzz_client_hello's seeds). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "handshake/messages.h"
#include "handshake/record_size_limit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t msg[70000];
    if (size > 60000) return 0;
    pl_cursor c = pl_cur(data, size);
    uint16_t v;
    if (pl_rsl_parse(&c, &v) == 0 && v < PL_RSL_MIN) __builtin_trap();

    /* EncryptedExtensions: extensions<0..2^16-1> holding only this one. */
    size_t n = 0;
    msg[n++] = (uint8_t)((size + 4) >> 8), msg[n++] = (uint8_t)(size + 4);
    msg[n++] = 0, msg[n++] = 28, msg[n++] = (uint8_t)(size >> 8), msg[n++] = (uint8_t)size;
    memcpy(msg + n, data, size);
    pl_encrypted_extensions ee;
    if (pl_encrypted_extensions_parse(msg, n + size, &ee) == 0 && ee.record_size_limit < PL_RSL_MIN) __builtin_trap();

    /* A TLS 1.2 ServerHello: version, random, empty session id, suite,
     * compression, then the same extensions block. */
    static const uint8_t head[] = {0x03, 0x03, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17,
                                   18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 0, 0xc0, 0x2b, 0};
    memmove(msg + sizeof head, msg, n + size);
    memcpy(msg, head, sizeof head);
    pl_server_hello sh;
    if (pl_server_hello_parse(msg, sizeof head + n + size, &sh) == 0 && sh.record_size_limit < PL_RSL_MIN) __builtin_trap();
    return 0;
}
