/*
 * options: the command line (and the environment variables that stand in
 * for it) parsed into a struct.  Pure: no I/O beyond writing usage text
 * to the FILE it is given.
 */
#ifndef OPTIONS_H
#define OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "log.h"

enum options_command {
	OPTIONS_RUN = 0,
	OPTIONS_LIST,
	OPTIONS_HELP,
	OPTIONS_VERSION,
};

struct options {
	enum options_command command;
	char **hosts; /* socket paths from -H (unix:// stripped) */
	size_t nhosts;
	bool autodetect; /* --autodetect, or no -H at all */
	bool all; /* --all */
	bool json; /* list --json */
	enum log_level log_level;
	bool log_level_given; /* -l was used */
	long engine_grace_ms;
};

/*
 * Parses argv.  Returns 0, or -EINVAL with a message for the user in err
 * (no trailing newline).
 */
int options_parse(
    int argc, char **argv, struct options *out, char *err, size_t errlen);
/*
 * Turns an engine address ("unix:///run/x.sock" or "/run/x.sock") into a
 * socket path (malloc'd).  Returns 0, or -EINVAL with a message in err
 * naming what (e.g. "DOCKER_HOST") for tcp://, ssh:// and other schemes.
 */
int options_socket_path(const char *address, const char *what, char **out,
    char *err, size_t errlen);
void options_usage(FILE *f);
void options_free(struct options *o);

#endif
