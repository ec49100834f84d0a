/* fuzz_http1_early.c - the scanner that picks what `parley proxy
 * --early-data` forwards early (tools/parley/http1_early.c): arbitrary bytes,
 * scanned as the proxy does (block after block until it waits or holds);
 * every block must lie within the input, start with an HTTP/1.x request
 * line and end with an empty line. */
#include <stdlib.h>
#include <string.h>

#include "http1_early.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t off = 0, eol = 0, end = 0;
    for (;;) {
        int k = http1_early_next(data + off, size - off, &eol, &end);
        if (k <= 0) break;
        if (!(eol >= 11 && eol < end && end <= size - off)) abort();
        if (memcmp(data + off + eol - 2, "\r\n", 2) != 0 || memcmp(data + off + end - 4, "\r\n\r\n", 4) != 0) abort();
        off += end;
        if (k == HTTP1_EARLY_LAST) break;
    }
    return 0;
}
