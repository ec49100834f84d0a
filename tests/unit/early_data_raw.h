/* early_data_raw.h - a raw TLS 1.3 client for the server 0-RTT tests
 * (early_data_test.c, early_data_replay_test.c): a Parley client's
 * ClientHello given early_data and a ticket's PSK with binders computed here,
 * early data records under client_early_traffic_secret derived here, the
 * server's flight opened with its key log, EndOfEarlyData and Finished. */
#ifndef EARLY_DATA_RAW_H
#define EARLY_DATA_RAW_H
#include "helpers.h"
#include "internal.h"

extern const uint8_t TKEY[48];
typedef struct {
    char line[8][256];
    int n;
} keylog;
typedef struct {
    uint32_t max_early;
    const char *alpn, *ciphers, *groups;
    parley_session_cache *cache;
    int no_cache;
    int stateful;       /* tickets off: stateful tickets in the cache */
} srv_opts;
/* The raw client's state. */
typedef struct {
    int hash, aead;
    size_t hl;
    pl_buf transcript;  /* handshake messages so far */
    pl_rec_keys ew;     /* early write keys */
    uint8_t c_early[PL_MAX_HASH];
    uint8_t rec[8192];  /* the first flight: ClientHello record, then early data */
    size_t rec_len;
    int ee_early;       /* the server's EncryptedExtensions had early_data */
} ed;
typedef struct {
    const char *sni, *calpn;
    int bogus_first;    /* a bogus identity before the ticket's */
    int age_shift_ms;
} hello_opts;
extern keylog g_kl;
enum { EOED_OK, EOED_NONE, EOED_BODY, EOED_HS_KEY, EOED_PLAIN, FIN_EARLY_KEY, EOED_CONCAT, DATA_AFTER_EOED, ALERT_PLAIN };
int ed_setup(void **state);
void kl_cb(void *arg, const char *line);
size_t kl_get(const keylog *k, const char *label, uint8_t *out);
parley_config *ed_server(const srv_opts *o);
parley_config *ed_client(const char *alpn);
void get_ticket(parley_config *sc, const char *calpn, pl_session *s);
void ed_hello(ed *e, const pl_session *s, const hello_opts *o);
void ed_data(ed *e, const void *d, size_t n);
void ed_free(ed *e);
void ed_server_flight(ed *e, parley_conn *srv);
void ed_finish(ed *e, parley_conn *srv, int mode);
int ed_feed(parley_config *sc, const ed *e, parley_conn **srv);
int status_for(parley_config *sc, const pl_session *s, const hello_opts *ho);
#endif
