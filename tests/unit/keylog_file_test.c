/* keylog_file_test.c - the key log file holds traffic secrets: a new one is
 * made owner-only whatever the umask, an existing one is appended to, and a
 * symbolic link is refused (in a shared directory another user could plant
 * one pointing at a file it reads). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "helpers.h"

static void path_of(char *out, size_t n, const char *name) { snprintf(out, n, "%s/%s", test_dir(), name); }

static void test_new_file_is_owner_only(void **state)
{
    (void)state;
    char p[512];
    path_of(p, sizeof p, "new.keylog");
    unlink(p);
    mode_t old = umask(022);
    parley_config *cfg = parley_config_new();
    assert_int_equal(parley_config_set_keylog_file(cfg, p), PARLEY_OK);
    umask(old);
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    parley_config_free(cfg);
    unlink(p);
}

static void test_existing_file_appended(void **state)
{
    (void)state;
    char p[512];
    path_of(p, sizeof p, "old.keylog");
    FILE *f = fopen(p, "w");
    fputs("CLIENT_RANDOM earlier line\n", f);
    fclose(f);
    parley_config *cfg = parley_config_new();
    assert_int_equal(parley_config_set_keylog_file(cfg, p), PARLEY_OK);
    parley_config_free(cfg);
    f = fopen(p, "r");
    char line[64] = "";
    assert_non_null(fgets(line, sizeof line, f));
    fclose(f);
    assert_string_equal(line, "CLIENT_RANDOM earlier line\n");
    unlink(p);
}

static void test_symlink_refused(void **state)
{
    (void)state;
    char target[512], link[512];
    path_of(target, sizeof target, "someone-elses.txt");
    path_of(link, sizeof link, "planted.keylog");
    unlink(link);
    FILE *f = fopen(target, "w");
    fclose(f);
    assert_int_equal(symlink(target, link), 0);
    parley_config *cfg = parley_config_new();
    assert_int_equal(parley_config_set_keylog_file(cfg, link), PARLEY_ERROR);
    assert_non_null(strstr(parley_config_error_string(cfg), "symbolic link"));
    parley_config_free(cfg);
    unlink(link);
    unlink(target);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_file_is_owner_only),
        cmocka_unit_test(test_existing_file_appended),
        cmocka_unit_test(test_symlink_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
