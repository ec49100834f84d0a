/* config_file.c - `--config FILE` for parley proxy (docs/proxy.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

/* --config FILE: one option per line, "name value" or "name" for a flag, the
 * same names as the command-line options without "--"; '#' starts a comment.
 * The options become arguments, read before those on the command line. */
void tool_read_config(const char *path, int *argc, char ***argv)
{
    FILE *f = fopen(path, "r");
    char line[1024];
    int n = 0, cap = 16, lineno = 0;
    char **v = malloc(sizeof *v * (size_t)cap);
    if (!f || !v) tool_die("cannot read the config file %s", path);
    v[n++] = (*argv)[0];
    while (fgets(line, sizeof line, f)) {
        lineno++;
        char *p = line, *hash = strchr(line, '#');
        if (hash) *hash = 0;
        while (*p == ' ' || *p == '\t') p++;
        char *end = p + strlen(p);
        while (end > p && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t')) *--end = 0;
        if (!*p) continue;
        char *val = p + strcspn(p, " \t");
        if (*val) {
            *val++ = 0;
            while (*val == ' ' || *val == '\t') val++;
        }
        if (!strcmp(p, "config")) tool_die("%s line %d: config files do not nest", path, lineno);
        if (n + 3 > cap && !(v = realloc(v, sizeof *v * (size_t)(cap *= 2)))) tool_die("out of memory");
        size_t nl = strlen(p) + 3;
        char *name = malloc(nl);
        if (!name) tool_die("out of memory");
        snprintf(name, nl, "--%s", p);
        v[n++] = name;
        if (*val && !(v[n++] = strdup(val))) tool_die("out of memory");
    }
    fclose(f);
    /* Then the command line (after the config file, so it can add to it). */
    for (int i = 1; i < *argc; i++) {
        if (!strcmp((*argv)[i], "--config")) {
            i++;
            continue;
        }
        if (n + 2 > cap && !(v = realloc(v, sizeof *v * (size_t)(cap *= 2)))) tool_die("out of memory");
        v[n++] = (*argv)[i];
    }
    *argc = n;
    *argv = v;
}

