/* verify_threads_test.c - concurrent verifications on one frozen config
 * (parley.h: parley_verify_chain is thread-safe on a frozen config): 4
 * threads each run parley_verify_chain (the report path, no cache) and
 * pl_verify_chain (the handshake's path: the verification cache without
 * CRLs, the store-wide CRL lookup hook with them) 100 times, and every run
 * must give the verdict a single thread gives: no CRL and a SHA-256 CRL
 * verify; a revoking CRL, a SHA-1-only CRL, and an older SHA-256 CRL beside
 * a newer SHA-1 one (policy.c pl_crls_drop_weak keeps the newer weak one)
 * are refused in every run, with the same reason; an older SHA-1 CRL beside
 * a newer SHA-256 one is dropped and verifies. Also run under ThreadSanitizer
 * (Makefile TSAN_UNIT). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "helpers.h"
#include "internal.h"
#include "pki_helpers.h"
#include "x509/x509.h"

#define THREADS 4
#define RUNS 100
#define WEAK_REASON "the CRL from /CN=Threads CA is signed with sha1WithRSAEncryption (SHA-1), which is refused"

static pki_cert *root, *leaf;

static int setup(void **state)
{
    (void)state;
    pki_opts ca = {.ca = 1}, lo = {.kind = "ec256", .serial = 7};
    root = pki_issue("Threads CA", &ca, NULL);
    leaf = pki_issue("localhost", &lo, root);
    if (!root || !leaf) return -1;
    int rc = pki_write("tca.pem", NULL, (const pki_cert *const[]){root}, 1);
    rc |= pki_crl("strong.crl", root, NULL, 0);
    rc |= pki_crl("revoked.crl", root, NULL, 7);
    rc |= pki_crl("weak.crl", root, "sha1", 0);
    rc |= pki_crl_at("strong-old.crl", root, NULL, 0, -2 * 86400);
    rc |= pki_crl_at("weak-old.crl", root, "sha1", 0, -2 * 86400);
    return rc;
}

static int teardown(void **state)
{
    (void)state;
    pki_free(leaf);
    pki_free(root);
    return 0;
}

/* One case: the CRL files, and the verdict every run must give. */
typedef struct {
    const char *crls[3];
    int rc;             /* parley_verify_chain */
    int alert;          /* its result's alert (0: verified) */
    const char *reason; /* its result's reason starts with this */
    int pl_rc;          /* pl_verify_chain: 0 or -PL_ERR_* */
} vcase;

static parley_config *cfg;
static const vcase *cur;
static int mismatches;
static char reason[1024]; /* the first run's, which every run must give */
static char first_mismatch[1400];

__attribute__((format(printf, 1, 2))) static void mismatch(const char *fmt, ...)
{
    if (__atomic_fetch_add(&mismatches, 1, __ATOMIC_RELAXED) != 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(first_mismatch, sizeof first_mismatch, fmt, ap);
    va_end(ap);
}

static void *worker(void *arg)
{
    (void)arg;
    size_t len;
    const uint8_t *der = pki_der(leaf, &len);
    pl_der d = {.p = der, .len = len};
    for (int k = 0; k < RUNS; k++) {
        parley_verify_result r;
        int rc = parley_verify_chain(cfg, &der, &len, 1, "localhost", PARLEY_PURPOSE_SERVER, &r);
        if (rc != cur->rc) mismatch("%s: parley_verify_chain returned %d", r.reason, rc);
        else if (r.alert != cur->alert) mismatch("%s: alert %d", r.reason, r.alert);
        else if (strcmp(r.reason, reason) != 0) mismatch("reason \"%s\"", r.reason);
        pl_pkey *key = NULL;
        pl_cert *iss = NULL;
        int prc = pl_verify_chain(cfg->trust, &d, 1, "localhost", 0, PL_PURPOSE_SERVER, &key, &iss);
        if (prc != cur->pl_rc) mismatch("%s: pl_verify_chain returned %d", pl_last_message(), prc);
        else if (prc == 0 && (!key || !iss)) mismatch("pl_verify_chain: no key or issuer");
        pl_pkey_free(key);
        pl_cert_free(iss);
    }
    return NULL;
}

static void run(const vcase *c)
{
    size_t len;
    const uint8_t *der = pki_der(leaf, &len);
    parley_verify_result r;
    cfg = parley_config_new();
    cur = c;
    mismatches = 0;
    first_mismatch[0] = 0;
    assert_int_equal(parley_config_set_ca_file(cfg, pki_path("tca.pem")), PARLEY_OK);
    for (int i = 0; c->crls[i]; i++) assert_int_equal(parley_config_add_crl_file(cfg, pki_path(c->crls[i])), PARLEY_OK);
    /* The first run, alone, freezes the config and sets the verdict. */
    assert_int_equal(parley_verify_chain(cfg, &der, &len, 1, "localhost", PARLEY_PURPOSE_SERVER, &r), c->rc);
    assert_int_equal(strncmp(r.reason, c->reason, strlen(c->reason)), 0);
    assert_int_equal(r.alert, c->alert);
    if (c->rc == PARLEY_OK) assert_string_equal(r.reason, "ok");
    memcpy(reason, r.reason, sizeof reason);
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++) assert_int_equal(pthread_create(&th[i], NULL, worker, NULL), 0);
    for (int i = 0; i < THREADS; i++) assert_int_equal(pthread_join(th[i], NULL), 0);
    if (mismatches) fail_msg("%d of %d runs differ; first: %s", mismatches, 2 * THREADS * RUNS, first_mismatch);
    parley_config_free(cfg);
}

static void test_no_crl(void **s)
{
    (void)s;
    run(&(vcase){{NULL}, PARLEY_OK, 0, "ok", 0});
}
static void test_strong_crl(void **s)
{
    (void)s;
    run(&(vcase){{"strong.crl"}, PARLEY_OK, 0, "ok", 0});
}
static void test_revoked(void **s)
{
    (void)s;
    run(&(vcase){{"revoked.crl"}, PARLEY_VERIFY_FAILED, 44, "certificate for localhost was revoked on ",
                 -PL_ERR_CERTIFICATE_REVOKED});
}
static void test_weak_only(void **s)
{
    (void)s;
    run(&(vcase){{"weak.crl"}, PARLEY_VERIFY_FAILED, 42, WEAK_REASON, -PL_ERR_BAD_CERTIFICATE});
}
static void test_old_strong_new_weak(void **s)
{
    (void)s;
    run(&(vcase){{"strong-old.crl", "weak.crl"}, PARLEY_VERIFY_FAILED, 42, WEAK_REASON, -PL_ERR_BAD_CERTIFICATE});
}
static void test_old_weak_new_strong(void **s)
{
    (void)s;
    run(&(vcase){{"weak-old.crl", "strong.crl"}, PARLEY_OK, 0, "ok", 0});
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_crl),    cmocka_unit_test(test_strong_crl),          cmocka_unit_test(test_revoked),
        cmocka_unit_test(test_weak_only), cmocka_unit_test(test_old_strong_new_weak), cmocka_unit_test(test_old_weak_new_strong),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
