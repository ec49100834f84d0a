/* cursor_test.c - the cursor and buffer boundaries, exhaustively for small sizes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "util/buf.h"
#include "util/cursor.h"

static const uint8_t DATA[8] = {1, 2, 3, 4, 5, 6, 7, 8};

static void test_fixed_reads_at_every_length(void **state)
{
    (void)state;
    for (size_t len = 0; len <= 8; len++) {
        pl_cursor c;
        uint8_t a;
        uint16_t b;
        uint32_t d;
        c = pl_cur(DATA, len);
        assert_int_equal(pl_cur_u8(&c, &a) == 0, len >= 1);
        c = pl_cur(DATA, len);
        assert_int_equal(pl_cur_u16(&c, &b) == 0, len >= 2);
        c = pl_cur(DATA, len);
        assert_int_equal(pl_cur_u24(&c, &d) == 0, len >= 3);
        c = pl_cur(DATA, len);
        assert_int_equal(pl_cur_u32(&c, &d) == 0, len >= 4);
        /* A failed read consumes nothing. */
        c = pl_cur(DATA, len);
        if (pl_cur_u32(&c, &d) < 0) assert_int_equal(c.len, len);
        for (size_t n = 0; n <= 9; n++) {
            const uint8_t *v;
            c = pl_cur(DATA, len);
            int rc = pl_cur_bytes(&c, n, &v);
            assert_int_equal(rc == 0, n <= len);
            assert_int_equal(c.len, rc == 0 ? len - n : len);
        }
    }
    pl_cursor c = pl_cur(DATA, 4);
    uint32_t v;
    assert_int_equal(pl_cur_u32(&c, &v), 0);
    assert_int_equal(v, 0x01020304);
    assert_int_equal(pl_cur_expect_empty(&c), 0);
}

static void test_vectors_at_every_prefix_length(void **state)
{
    (void)state;
    uint8_t buf[16];
    for (int width = 1; width <= 3; width++)
        for (size_t claimed = 0; claimed <= 6; claimed++)
            for (size_t avail = 0; avail <= 6; avail++) {
                memset(buf, 0xaa, sizeof buf);
                buf[width - 1] = (uint8_t)claimed; /* big-endian, high bytes zero */
                for (int i = 0; i < width - 1; i++) buf[i] = 0;
                pl_cursor c = pl_cur(buf, (size_t)width + avail), child;
                int rc = width == 1 ? pl_cur_vec8(&c, &child) : width == 2 ? pl_cur_vec16(&c, &child) : pl_cur_vec24(&c, &child);
                if (claimed <= avail) {
                    assert_int_equal(rc, 0);
                    assert_int_equal(child.len, claimed);
                    assert_int_equal(c.len, avail - claimed);
                    assert_int_equal(pl_cur_expect_empty(&c) == 0, avail == claimed);
                } else {
                    assert_int_equal(rc, -PL_ERR_DECODE);
                }
            }
    /* A huge 24-bit length never reads past the end. */
    uint8_t huge[4] = {0xff, 0xff, 0xff, 0};
    pl_cursor c = pl_cur(huge, 4), child;
    assert_int_equal(pl_cur_vec24(&c, &child), -PL_ERR_DECODE);
    assert_non_null(strstr(pl_last_message(), "truncated"));
}

static void test_buf_length_backfill(void **state)
{
    (void)state;
    pl_buf b = {0};
    size_t m1, m2;
    assert_int_equal(pl_buf_open(&b, 2, &m1), 0);
    assert_int_equal(pl_buf_u8(&b, 7), 0);
    assert_int_equal(pl_buf_open(&b, 1, &m2), 0);
    assert_int_equal(pl_buf_bytes(&b, "abc", 3), 0);
    assert_int_equal(pl_buf_close(&b, 1, m2), 0);
    assert_int_equal(pl_buf_close(&b, 2, m1), 0);
    const uint8_t want[] = {0, 5, 7, 3, 'a', 'b', 'c'};
    assert_int_equal(b.len, sizeof want);
    assert_memory_equal(b.data, want, sizeof want);
    /* Too much for a 1-byte length. */
    assert_int_equal(pl_buf_open(&b, 1, &m1), 0);
    uint8_t big[300] = {0};
    assert_int_equal(pl_buf_bytes(&b, big, sizeof big), 0);
    assert_true(pl_buf_close(&b, 1, m1) < 0);
    /* A capped buffer refuses to grow past its cap. */
    pl_buf capped = {0};
    capped.max = 100;
    assert_int_equal(pl_buf_bytes(&capped, big, 100), 0);
    assert_true(pl_buf_u8(&capped, 1) < 0);
    pl_buf_consume(&capped, 40);
    assert_int_equal(capped.len, 60);
    assert_true(pl_buf_u24(&capped, 1u << 24) < 0);
    pl_buf_free(&b);
    pl_buf_free(&capped);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixed_reads_at_every_length),
        cmocka_unit_test(test_vectors_at_every_prefix_length),
        cmocka_unit_test(test_buf_length_backfill),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
