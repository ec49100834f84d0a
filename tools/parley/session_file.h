/* session_file.h - the client's saved-session files (--sess-in, --sess-out). */
#ifndef PARLEY_TOOL_SESSION_FILE_H
#define PARLEY_TOOL_SESSION_FILE_H
#include <stddef.h>
#include <stdint.h>

/* Reads at most cap bytes of the file (ends the program if it cannot be opened). */
size_t tool_session_file_read(const char *path, uint8_t *buf, size_t cap);
/* Writes the file owner-only through a temporary name and rename(). */
void tool_session_file_write(const char *path, const uint8_t *buf, size_t len);
#endif
