/* config_file.c - `--config FILE` for parley server, proxy and keyserver
 * (docs/config.md): one reader for all three, and the FILE:LINE of every
 * option it read, so an error in the file names its line. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

/* Where each argument of the (rebuilt) argv came from. */
typedef struct {
    const char *arg; /* the argv pointer, to find a value's origin later */
    char *where;     /* "FILE:LINE", NULL: the command line */
    int has_value;   /* a file option: its line had a value */
} arg_origin;

const char *tool_die_where;
static arg_origin *g_org;
static int g_norg;
static char **g_argv; /* the argv g_org describes */

static void *grow(void *p, int *cap, int need, size_t size)
{
    if (need <= *cap) return p;
    while (*cap < need) *cap = *cap ? *cap * 2 : 16;
    if (!(p = realloc(p, size * (size_t)*cap))) tool_die("out of memory");
    return p;
}

static void push(char ***v, int *n, int *cap, int *ocap, const char *arg, const char *where, int has_value)
{
    *v = grow(*v, cap, *n + 2, sizeof **v);
    g_org = grow(g_org, ocap, *n + 2, sizeof *g_org);
    (*v)[*n] = (char *)arg;
    g_org[*n] = (arg_origin){arg, where ? strdup(where) : NULL, has_value};
    if (where && !g_org[*n].where) tool_die("out of memory");
    (*n)++;
    (*v)[*n] = NULL;
    g_argv = *v; /* described as it grows: an error midway leaves it whole */
    g_norg = *n;
}

/* One line: "name value", "name" (a flag) or "--name ..." (the dashes are
 * optional); '#' at the start of a line or after a blank starts a comment,
 * so a path may still hold a '#'. Blank lines are skipped. */
static const char *read_line(char *line, const char *where, char ***v, int *n, int *cap, int *ocap)
{
    for (char *h = line; (h = strchr(h, '#')) != NULL; h++)
        if (h == line || h[-1] == ' ' || h[-1] == '\t') {
            *h = 0;
            break;
        }
    char *p = line + strspn(line, " \t");
    char *end = p + strlen(p);
    while (end > p && strchr(" \t\r\n", end[-1])) *--end = 0;
    if (!*p) return NULL;
    char *val = p + strcspn(p, " \t");
    if (*val) {
        *val++ = 0;
        val += strspn(val, " \t");
    }
    if (!strncmp(p, "--", 2)) p += 2;
    if (!*p) return "an option name is missing";
    if (!strcmp(p, "config")) return "config files do not nest (--config in a config file)";
    size_t nl = strlen(p) + 3;
    char *name = malloc(nl), *value = *val ? strdup(val) : NULL;
    if (!name || (*val && !value)) tool_die("out of memory");
    snprintf(name, nl, "--%s", p);
    push(v, n, cap, ocap, name, where, value != NULL);
    if (value) push(v, n, cap, ocap, value, where, 0);
    return NULL;
}

void tool_config_load(int *argc, char ***argv)
{
    const char *path = NULL;
    for (int i = 1; i < *argc; i++)
        if (!strcmp((*argv)[i], "--config")) {
            if (i + 1 >= *argc) tool_die("--config needs a value (a file)");
            if (path) tool_die("one --config FILE only");
            path = (*argv)[++i];
        }
    if (!path) return;
    FILE *f = fopen(path, "r");
    if (!f) tool_die("cannot read the config file %s: %s", path, strerror(errno));
    char **v = NULL, *line = NULL;
    int n = 0, cap = 0, ocap = 0, lineno = 0;
    size_t lcap = 0;
    push(&v, &n, &cap, &ocap, (*argv)[0], NULL, 0);
    const char *why = NULL;
    char where[1100];
    while (!why && getline(&line, &lcap, f) >= 0) {
        snprintf(where, sizeof where, "%s:%d", path, ++lineno);
        why = read_line(line, where, &v, &n, &cap, &ocap);
    }
    int bad = ferror(f);
    free(line);
    fclose(f);
    tool_die_where = why ? where : NULL;
    if (why) tool_die("%s", why);
    if (bad) tool_die("cannot read the config file %s", path);
    /* Then the command line, after the file: a single-valued option given
     * there replaces the file's, a repeatable one adds to it. */
    for (int i = 1; i < *argc; i++) {
        if (!strcmp((*argv)[i], "--config")) {
            i++;
            continue;
        }
        push(&v, &n, &cap, &ocap, (*argv)[i], NULL, 0);
    }
    *argc = n;
    *argv = v;
}

static const arg_origin *origin(int i) { return g_argv && i >= 0 && i < g_norg ? &g_org[i] : NULL; }

int tool_opt_begin(int i)
{
    const arg_origin *o = origin(i);
    tool_die_where = o ? o->where : NULL;
    return i;
}

char *tool_opt_value(int argc, char **argv, int *i)
{
    const arg_origin *o = origin(*i);
    /* A file line without a value: the next argument is the next line's
     * option (or the command line's), never this one's value. */
    if (*i + 1 >= argc || (o && o->where && !o->has_value)) tool_die("%s needs a value", argv[*i]);
    return argv[++*i];
}

void tool_opt_end(int start, int i)
{
    const arg_origin *o = origin(start);
    if (o && o->where && o->has_value && i == start) tool_die("%s takes no value", g_argv[start]);
    tool_die_where = NULL;
}

const char *tool_opt_where(const char *value)
{
    for (int i = 0; value && g_argv && i < g_norg; i++)
        if (g_org[i].arg == value) return g_org[i].where;
    return NULL;
}

void tool_opt_point(const char *value) { tool_die_where = tool_opt_where(value); }
