/*
 * keyless_list_test.c - parley_keyless_new's list of key servers
 * (HOST:PORT[,HOST:PORT...], at most 8): a malformed entry is refused with a
 * sentence naming it, before any thread starts; well-formed lists (one entry,
 * eight, a bracketed IPv6 address) are accepted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <parley/parley.h>

static parley_key_provider *make(const char *list, char *err, size_t errlen)
{
    parley_config *kc = parley_config_new();
    err[0] = 0;
    /* 300 ms: the accepted lists point at closed ports, refused at once. */
    parley_key_provider *p = parley_keyless_new(list, kc, 1, 300, err, errlen);
    parley_config_free(kc);
    return p;
}

static void refused(const char *list, const char *want)
{
    char err[512];
    parley_key_provider *p = make(list, err, sizeof err);
    if (p) {
        parley_keyless_free(p);
        fail_msg("'%s' was accepted", list);
    }
    if (!strstr(err, want)) fail_msg("'%s': error '%s' does not say '%s'", list, err, want);
}

static void test_malformed_lists(void **state)
{
    (void)state;
    refused("", "entry 1 is empty");
    refused("127.0.0.1:1,", "entry 2 is empty");
    refused("127.0.0.1:1,,127.0.0.1:2", "entry 2 is empty");
    refused(",127.0.0.1:1", "entry 1 is empty");
    refused("localhost", "entry 1 (\"localhost\") is not HOST:PORT");
    refused("127.0.0.1:1,keys.example", "entry 2 (\"keys.example\") is not HOST:PORT");
    refused(":8600", "entry 1 (\":8600\") is not HOST:PORT");
    refused("keys.example:", "entry 1 (\"keys.example:\") is not HOST:PORT");
    refused("[]:8600", "entry 1 (\"[]:8600\") is not HOST:PORT");
    char nine[256] = "";
    for (int i = 0; i < 9; i++) snprintf(nine + strlen(nine), sizeof nine - strlen(nine), "%s127.0.0.1:%d", i ? "," : "", i + 1);
    refused(nine, "more than 8 key servers");
}

static void test_wellformed_lists(void **state)
{
    (void)state;
    char eight[256] = "", err[512];
    for (int i = 0; i < 8; i++) snprintf(eight + strlen(eight), sizeof eight - strlen(eight), "%s127.0.0.1:%d", i ? "," : "", i + 1);
    const char *lists[] = {"127.0.0.1:1", eight, "[::1]:1,127.0.0.1:2"};
    for (size_t i = 0; i < sizeof lists / sizeof *lists; i++) {
        parley_key_provider *p = make(lists[i], err, sizeof err);
        if (!p) fail_msg("'%s' was refused: %s", lists[i], err);
        assert_int_equal(parley_keyless_connected(p), 0); /* nothing listens there */
        parley_keyless_free(p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_malformed_lists),
        cmocka_unit_test(test_wellformed_lists),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
