/* fuzz_client_records.c - a client connection that has sent its ClientHello
 * fed arbitrary bytes: ServerHello/HRR parsing, record layer, alerts, CCS. */
#include <parley/parley.h>
#include <stddef.h>
#include <stdint.h>

static parley_config *cfg;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    cfg = parley_config_new();
    parley_config_set_verify(cfg, 0);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    parley_conn *c = parley_conn_new_client(cfg, "localhost");
    const uint8_t *out;
    size_t n, off = 0, used;
    (void)parley_conn_handshake(c);
    parley_conn_pending_output(c, &out, &n);
    parley_conn_output_sent(c, n);
    while (off < size) {
        parley_conn_recv_bytes(c, data + off, size - off, &used);
        off += used;
        int rc = parley_conn_handshake(c);
        parley_conn_pending_output(c, &out, &n);
        parley_conn_output_sent(c, n);
        if (rc != PARLEY_WANT_READ || used == 0) break;
    }
    parley_conn_free(c);
    return 0;
}
