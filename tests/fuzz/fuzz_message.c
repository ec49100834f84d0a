/* fuzz_message.c - one libFuzzer target per handshake message parser; the
 * parser is chosen at build time (FUZZ_<NAME>). Input is the message body. */
#include <stddef.h>
#include <stdint.h>

#include "handshake/dh_group12.h"
#include "handshake/hello_retry.h"
#include "handshake/messages.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
#if defined(FUZZ_CLIENT_HELLO)
    pl_client_hello m;
    if (pl_client_hello_parse(data, size, &m) == 0) {
        const uint8_t *s;
        size_t l;
        if (pl_client_hello_check_shares(&m) == 0) (void)pl_client_hello_find_share(&m, 0x001d, &s, &l);
        /* The second-ClientHello comparison (hello_retry.c), against itself. */
        pl_ch1_summary sum;
        if (pl_ch1_summarize(&m, &sum) == 0) (void)pl_ch2_check(&sum, &m, 0x001d);
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
#elif defined(FUZZ_CERTIFICATE12)
    pl_certificate m;
    (void)pl_certificate12_parse(data, size, &m);
#elif defined(FUZZ_SERVER_KEY_EXCHANGE)
    /* The first byte picks the key exchange, the rest is the message. */
    pl_server_key_exchange m;
    if (size && pl_server_key_exchange_parse(data + 1, size - 1, 1 + data[0] % 2, &m) == 0 && m.dh_p.len) {
        /* DHE: the client's decision on the group (dh_group12.c), under the
         * default group list. */
        static parley_config *cfg;
        uint16_t g;
        if (!cfg) cfg = parley_config_new();
        if (cfg) (void)pl_client12_dh_group(cfg, m.dh_p, m.dh_g, &g);
    }
#elif defined(FUZZ_CERTIFICATE_REQUEST12)
    pl_certificate_request12 m;
    (void)pl_certificate_request12_parse(data, size, &m);
#elif defined(FUZZ_CLIENT_KEY_EXCHANGE)
    pl_cursor v;
    if (size) (void)pl_client_key_exchange_parse(data + 1, size - 1, 1 + data[0] % 3, &v);
#elif defined(FUZZ_CERTIFICATE_STATUS)
    pl_cursor r;
    (void)pl_certificate_status_parse(data, size, &r);
#elif defined(FUZZ_NEW_SESSION_TICKET12)
    uint32_t hint;
    pl_cursor t;
    (void)pl_new_session_ticket12_parse(data, size, &hint, &t);
#else
#error "define FUZZ_<PARSER>"
#endif
    return 0;
}
