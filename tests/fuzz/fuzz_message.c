/* fuzz_message.c - one libFuzzer target per handshake message parser; the
 * parser is chosen at build time (FUZZ_<NAME>). Input is the message body. */
#include <stddef.h>
#include <stdint.h>

#include "handshake/messages.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
#if defined(FUZZ_CLIENT_HELLO)
    pl_client_hello m;
    if (pl_client_hello_parse(data, size, &m) == 0) {
        const uint8_t *s;
        size_t l;
        (void)pl_client_hello_find_share(&m, 0x001d, &s, &l);
    }
#elif defined(FUZZ_SERVER_HELLO)
    pl_server_hello m;
    (void)pl_server_hello_parse(data, size, &m);
#elif defined(FUZZ_ENCRYPTED_EXTENSIONS)
    pl_encrypted_extensions m;
    (void)pl_encrypted_extensions_parse(data, size, &m);
#elif defined(FUZZ_CERTIFICATE)
    pl_certificate m;
    (void)pl_certificate_parse(data, size, &m);
#elif defined(FUZZ_CERTIFICATE_REQUEST)
    pl_certificate_request m;
    (void)pl_certificate_request_parse(data, size, &m);
#elif defined(FUZZ_CERTIFICATE_VERIFY)
    pl_certificate_verify m;
    (void)pl_certificate_verify_parse(data, size, &m);
#elif defined(FUZZ_NEW_SESSION_TICKET)
    pl_new_session_ticket m;
    (void)pl_new_session_ticket_parse(data, size, &m);
#elif defined(FUZZ_KEY_UPDATE)
    int r;
    (void)pl_key_update_parse(data, size, &r);
#else
#error "define FUZZ_<PARSER>"
#endif
    return 0;
}
