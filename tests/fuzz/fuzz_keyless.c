/* fuzz_keyless.c - the keyless frame parser over a stream of frames, with
 * every decoded request re-encoded (the codec must accept its own view). */
#include <parley/parley.h>
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    parley_keyless_msg m;
    int response;
    size_t used, len;
    uint8_t out[8192];
    while (size && parley_keyless_decode(data, size, &response, &m, &used) == PARLEY_OK) {
        /* Re-encode what was understood: the codec must accept its own output. */
        if (!response && m.payload_len <= 1900) (void)parley_keyless_encode(&m, 0, out, sizeof out, &len);
        data += used;
        size -= used;
    }
    return 0;
}
