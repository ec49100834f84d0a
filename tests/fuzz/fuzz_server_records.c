/* fuzz_server_records.c - a server connection fed arbitrary bytes: record
 * deframing, handshake reassembly, ClientHello processing, alerts. The input
 * is split into chunks at bytes chosen by the input itself so fragmentation
 * paths are exercised too. */
#include <parley/parley.h>
#include <stddef.h>
#include <stdint.h>

static parley_config *cfg;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char fp[128];
    (void)argc;
    (void)argv;
    cfg = parley_config_new();
    parley_config_add_self_signed(cfg, fp, sizeof fp);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    parley_conn *c = parley_conn_new_server(cfg);
    size_t off = 0;
    while (off < size) {
        size_t chunk = 1 + data[off] % 64 * 37, used;
        if (chunk > size - off) chunk = size - off;
        parley_conn_recv_bytes(c, data + off, chunk, &used);
        off += used ? used : chunk;
        int rc = parley_conn_handshake(c);
        const uint8_t *out;
        size_t n;
        parley_conn_pending_output(c, &out, &n);
        parley_conn_output_sent(c, n);
        if (rc == PARLEY_ERROR) break;
        if (rc == PARLEY_OK) {
            uint8_t buf[512];
            size_t got;
            (void)parley_conn_read(c, buf, sizeof buf, &got);
        }
        if (used == 0) break;
    }
    parley_conn_free(c);
    return 0;
}
