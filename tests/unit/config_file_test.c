/* config_file_test.c - the shared --config reader of parley server, proxy and
 * keyserver (tools/parley/config_file.c) and the strict numeric values
 * (opt_num.c): lines to arguments, FILE:LINE of each, and the errors that
 * must name it. The tool's tool_die is replaced by one that records the
 * message (with its FILE:LINE, as common.c prints it) and jumps back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../tools/parley/config_file.c"
#include "../../tools/parley/opt_num.c"

static jmp_buf g_jmp;
static char g_msg[1024];

void tool_die(const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(g_msg, sizeof g_msg, "%s%s", tool_die_where ? tool_die_where : "", tool_die_where ? ": " : "");
    va_start(ap, fmt);
    vsnprintf(g_msg + n, sizeof g_msg - (size_t)n, fmt, ap);
    va_end(ap);
    longjmp(g_jmp, 1);
}

static char g_path[64];

static void write_conf(const char *text)
{
    strcpy(g_path, "/tmp/parley-conf-XXXXXX");
    int fd = mkstemp(g_path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

/* Everything the reader allocated (file arguments are its own copies). */
static void forget(void)
{
    for (int i = 0; i < g_norg; i++)
        if (g_org[i].where) {
            free(g_argv[i]);
            free(g_org[i].where);
        }
    free(g_org);
    free(g_argv);
    g_org = NULL;
    g_argv = NULL;
    g_norg = 0;
    tool_die_where = NULL;
    unlink(g_path);
}

static void test_lines_to_arguments(void **state)
{
    (void)state;
    write_conf("# a comment\n"
               "\n"
               "listen 127.0.0.1:1   # after a value\n"
               "  --cert /srv/a#b.pem\r\n"
               "trace\n"
               "send two words\n");
    char *in[] = {"server", "--max-conns", "5", "--config", g_path, "--listen", "127.0.0.1:2", NULL};
    int argc = 7;
    char **argv = in;
    tool_config_load(&argc, &argv);
    const char *want[] = {"server", "--listen", "127.0.0.1:1", "--cert", "/srv/a#b.pem", "--trace", "--send", "two words",
                          "--max-conns", "5", "--listen", "127.0.0.1:2"};
    assert_int_equal(argc, 12);
    for (int i = 0; i < argc; i++) assert_string_equal(argv[i], want[i]);
    assert_null(argv[argc]);
    /* Each file argument knows its line; the command line's know none. */
    char where[128];
    snprintf(where, sizeof where, "%s:4", g_path);
    assert_string_equal(tool_opt_where(argv[4]), where);
    snprintf(where, sizeof where, "%s:6", g_path);
    assert_string_equal(tool_opt_where(argv[7]), where);
    assert_null(tool_opt_where(argv[11]));
    assert_null(tool_opt_where("not an argument"));
    forget();
}

static void test_no_config_leaves_argv(void **state)
{
    (void)state;
    char *in[] = {"server", "--listen", "x", NULL};
    int argc = 3;
    char **argv = in;
    tool_config_load(&argc, &argv);
    assert_ptr_equal(argv, in);
    assert_int_equal(argc, 3);
    assert_int_equal(tool_opt_begin(1), 1);
    assert_null(tool_die_where);
}

/* A value-less line is never given the next line's option as its value. */
static void test_missing_value_names_line(void **state)
{
    (void)state;
    write_conf("cert\nkey k.pem\n");
    char *in[] = {"server", "--config", g_path, NULL};
    int argc = 3, i = 1;
    char **argv = in;
    tool_config_load(&argc, &argv);
    char want[128];
    snprintf(want, sizeof want, "%s:1: --cert needs a value", g_path);
    if (setjmp(g_jmp) == 0) {
        tool_opt_begin(i);
        (void)tool_opt_value(argc, argv, &i);
        fail_msg("no error for a value-less line");
    }
    assert_string_equal(g_msg, want);
    forget();
}

static void test_flag_with_value_names_line(void **state)
{
    (void)state;
    write_conf("listen a:1\ntrace yes\n");
    char *in[] = {"server", "--config", g_path, NULL};
    int argc = 3, i = 3;
    char **argv = in;
    tool_config_load(&argc, &argv);
    /* listen takes its value: fine, and tool_die names nothing after. */
    int at = tool_opt_begin(1), j = 1;
    assert_string_equal(tool_opt_value(argc, argv, &j), "a:1");
    tool_opt_end(at, j);
    assert_null(tool_die_where);
    char want[128];
    snprintf(want, sizeof want, "%s:2: --trace takes no value", g_path);
    if (setjmp(g_jmp) == 0) {
        at = tool_opt_begin(i);
        tool_opt_end(at, i); /* a flag consumes nothing */
        fail_msg("no error for a flag with a value");
    }
    assert_string_equal(g_msg, want);
    forget();
}

static void test_nesting_refused(void **state)
{
    (void)state;
    write_conf("listen a:1\n\nconfig other.conf\n");
    char *in[] = {"proxy", "--config", g_path, NULL};
    int argc = 3;
    char **argv = in;
    char want[128];
    snprintf(want, sizeof want, "%s:3: config files do not nest", g_path);
    if (setjmp(g_jmp) == 0) {
        tool_config_load(&argc, &argv);
        fail_msg("a nested config was taken");
    }
    assert_non_null(strstr(g_msg, want));
    forget(); /* what was read before the error is still described */
}

static void expect_num_error(const char *val)
{
    if (setjmp(g_jmp) == 0) {
        (void)tool_num_arg("--max-conns", val, 1, 100);
        fail_msg("'%s' taken as a number", val);
    }
    assert_non_null(strstr(g_msg, "--max-conns takes a whole number"));
}

static void expect_ms_error(const char *val)
{
    if (setjmp(g_jmp) == 0) {
        (void)tool_ms_arg("--idle-timeout", val, 3600);
        fail_msg("'%s' taken as seconds", val);
    }
    assert_non_null(strstr(g_msg, "--idle-timeout takes seconds"));
}

static void test_strict_numbers(void **state)
{
    (void)state;
    assert_int_equal(tool_num_arg("--max-conns", "7", 1, 100), 7);
    assert_int_equal(tool_num_arg("--max-conns", "100", 1, 100), 100);
    const char *bad[] = {"10x", "-1", "+5", " 5", "", "0", "101", "0x10", "99999999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) expect_num_error(bad[i]);
    assert_int_equal(tool_ms_arg("--idle-timeout", "0.5", 3600), 500);
    assert_int_equal(tool_ms_arg("--idle-timeout", "30", 3600), 30000);
    const char *badms[] = {"0", "0.0001", "-1", "1s", "inf", "nan", "1e3", "0x10", "", "3601"};
    for (size_t i = 0; i < sizeof badms / sizeof *badms; i++) expect_ms_error(badms[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines_to_arguments),   cmocka_unit_test(test_no_config_leaves_argv),
        cmocka_unit_test(test_missing_value_names_line), cmocka_unit_test(test_flag_with_value_names_line),
        cmocka_unit_test(test_nesting_refused),      cmocka_unit_test(test_strict_numbers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
