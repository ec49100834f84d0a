/* session_file.c - `parley client --sess-in / --sess-out`: a saved session
 * read back, and written as carefully as a private key. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "session_file.h"

size_t tool_session_file_read(const char *path, uint8_t *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    if (!f) tool_die("cannot read session file %s", path);
    size_t n = fread(buf, 1, cap, f);
    fclose(f);
    return n;
}

/* --sess-out: the session holds its master secret or PSK in the clear (the
 * client needs it to resume), so it is written like a private key: to a new
 * file made by mkstemp (owner-only, 0600) in the target's directory, then
 * renamed over the target. Opening the target itself would follow a symlink
 * planted there (and overwrite whatever it points to) and would reuse an
 * existing file, which another process may already hold open for reading;
 * rename() replaces the name, never the file behind it. */
void tool_session_file_write(const char *path, const uint8_t *buf, size_t len)
{
    size_t n = strlen(path);
    char *tmp = malloc(n + sizeof ".XXXXXX");
    if (!tmp) tool_die("cannot write session file %s: out of memory", path);
    memcpy(tmp, path, n);
    memcpy(tmp + n, ".XXXXXX", sizeof ".XXXXXX");
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        tool_die("cannot write session file %s: cannot create a temporary file next to it: %s", path, strerror(e));
    }
    const char *step = "write";
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, buf + off, len - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            if (w == 0) errno = EIO;
            break;
        }
        off += (size_t)w;
    }
    int ok = off == len;
    if (close(fd) != 0 && ok) ok = 0, step = "close";
    if (ok && rename(tmp, path) != 0) ok = 0, step = "rename";
    if (!ok) {
        int e = errno;
        (void)unlink(tmp);
        free(tmp);
        tool_die("cannot write session file %s: %s failed: %s", path, step, strerror(e));
    }
    free(tmp);
}
