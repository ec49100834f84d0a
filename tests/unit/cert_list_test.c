/* cert_list_test.c - the PEM reader (parley_cert_list_from_pem): the
 * certificates of a PEM file as DER, and one clear sentence for each way a
 * file is not that; never a crash on any prefix of a good file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "helpers.h"
#include "pki_helpers.h"

static char *chain_pem, *key_pem;
static size_t chain_len, key_len;
static pki_cert *a, *b;

static char *slurp(const char *name, size_t *len)
{
    FILE *f = fopen(pki_path(name), "rb");
    if (!f) return NULL;
    char *buf = malloc(1 << 20);
    *len = fread(buf, 1, 1 << 20, f);
    buf[*len] = 0;
    fclose(f);
    return buf;
}

static int setup(void **state)
{
    (void)state;
    pki_opts ca = {.ca = 1, .kind = "ec256"}, l = {.kind = "ec256"};
    a = pki_issue("CA", &ca, NULL);
    b = pki_issue("leaf.test", &l, a);
    if (!a || !b || pki_write("two.pem", "two.key", (const pki_cert *const[]){b, a}, 2)) return -1;
    chain_pem = slurp("two.pem", &chain_len);
    key_pem = slurp("two.key", &key_len);
    return chain_pem && key_pem ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    free(chain_pem), free(key_pem), pki_free(a), pki_free(b);
    return 0;
}

static void expect_error(const void *in, size_t len, const char *want)
{
    parley_cert_list *l = (parley_cert_list *)1;
    char err[256] = "";
    assert_int_equal(parley_cert_list_from_pem(in, len, &l, err, sizeof err), PARLEY_ERROR);
    assert_null(l);
    if (!strstr(err, want)) fail_msg("error \"%s\" does not contain \"%s\"", err, want);
}

static void test_good_chain(void **state)
{
    (void)state;
    parley_cert_list *l = NULL;
    char err[256];
    assert_int_equal(parley_cert_list_from_pem((const uint8_t *)chain_pem, chain_len, &l, err, sizeof err), PARLEY_OK);
    assert_int_equal(parley_cert_list_count(l), 2);
    size_t len, want;
    const uint8_t *der = parley_cert_list_der(l, 0, &len), *exp = pki_der(b, &want);
    assert_int_equal(len, want);
    assert_memory_equal(der, exp, len);
    assert_null(parley_cert_list_der(l, 2, &len));
    assert_int_equal(len, 0);
    parley_cert_list_free(l);
    /* A key next to the certificates (a combined file) is ignored. */
    size_t n = chain_len + key_len;
    char *both = malloc(n);
    memcpy(both, key_pem, key_len), memcpy(both + key_len, chain_pem, chain_len);
    assert_int_equal(parley_cert_list_from_pem((const uint8_t *)both, n, &l, err, sizeof err), PARLEY_OK);
    assert_int_equal(parley_cert_list_count(l), 2);
    parley_cert_list_free(l);
    free(both);
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("", 0, "empty input");
    expect_error(" \n\r\n\t", 5, "empty input");
    size_t dl;
    const uint8_t *der = pki_der(b, &dl);
    expect_error(der, dl, "DER data, not PEM");
    expect_error(key_pem, key_len, "holds a PRIVATE KEY, not a certificate");
    const char *pub = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n";
    expect_error(pub, strlen(pub), "holds a PUBLIC KEY block, not a certificate");
    expect_error("hello world\n", 12, "no PEM certificate found");
    const char *nend = "-----BEGIN CERTIFICATE-----\nMIIB\n";
    expect_error(nend, strlen(nend), "block 1 (line 1, CERTIFICATE): no END line");
    expect_error("-----BEGIN CERTIFICATE", 22, "malformed BEGIN line");
}

/* A corrupt second block is named: base64 and DER. */
static void test_corrupt_block_named(void **state)
{
    (void)state;
    char *bad = strdup(chain_pem);
    char *second = strstr(strstr(bad, "-----END CERTIFICATE-----") + 1, "-----BEGIN CERTIFICATE-----");
    char *body = strchr(second, '\n') + 1;
    body[5] = '*';
    expect_error(bad, chain_len, "certificate 2 (line ");
    expect_error(bad, chain_len, "): bad base64");
    memcpy(bad, chain_pem, chain_len);
    body[5] = body[5] == 'A' ? 'B' : 'A'; /* valid base64, broken DER */
    expect_error(bad, chain_len, "not a valid DER certificate");
    free(bad);
}

static void test_bounds(void **state)
{
    (void)state;
    const char *first_end = strstr(chain_pem, "-----END CERTIFICATE-----\n") + 26;
    size_t one = (size_t)(first_end - chain_pem), n = 65 * one;
    char *many = malloc(n);
    for (int i = 0; i < 65; i++) memcpy(many + (size_t)i * one, chain_pem, one);
    expect_error(many, n, "more than 64 certificates");
    parley_cert_list *l = NULL;
    char err[256];
    assert_int_equal(parley_cert_list_from_pem((const uint8_t *)many, 64 * one, &l, err, sizeof err), PARLEY_OK);
    assert_int_equal(parley_cert_list_count(l), 64);
    parley_cert_list_free(l);
    free(many);
    char *big = calloc(1, PARLEY_CERT_LIST_MAX_INPUT + 1);
    expect_error(big, PARLEY_CERT_LIST_MAX_INPUT + 1, "input larger than 1048576 bytes");
    free(big);
}

/* Every prefix of a good file: an answer, never a crash (ASan build). */
static void test_every_prefix(void **state)
{
    (void)state;
    for (size_t n = 0; n <= chain_len; n++) {
        char *p = malloc(n ? n : 1);
        memcpy(p, chain_pem, n);
        parley_cert_list *l = NULL;
        char err[128];
        int rc = parley_cert_list_from_pem((const uint8_t *)p, n, &l, err, sizeof err);
        assert_true(rc == PARLEY_OK ? l != NULL : l == NULL);
        parley_cert_list_free(l);
        free(p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_chain), cmocka_unit_test(test_errors), cmocka_unit_test(test_corrupt_block_named),
        cmocka_unit_test(test_bounds),     cmocka_unit_test(test_every_prefix),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
