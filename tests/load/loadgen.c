/*
 * loadgen.c - the load generator's entry: `loadgen backend | rate | crowd`
 * (loadgen.h, docs/reliability.md).
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "loadgen.h"

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc >= 2 && !strcmp(argv[1], "backend")) return lg_backend_main(argc - 2, argv + 2);
    if (argc >= 2 && !strcmp(argv[1], "rate")) return lg_rate_main(argc - 2, argv + 2);
    if (argc >= 2 && !strcmp(argv[1], "crowd")) return lg_crowd_main(argc - 2, argv + 2);
    fprintf(stderr, "usage: loadgen backend|rate|crowd OPTIONS (no options: the usage of each)\n");
    return 2;
}
