/*
 * main: portlight's entry point.  Parses the command line and hands over
 * to the daemon (agent.c) or the one-shot listing (list.c).
 */
#include <stdio.h>
#include <stdlib.h>

#include "agent.h"
#include "list.h"
#include "log.h"
#include "options.h"

int
main(int argc, char **argv)
{
	struct options o;
	char err[512];
	int status;

	if (options_parse(argc, argv, &o, err, sizeof err) != 0) {
		fprintf(stderr, "portlight: %s\n", err);
		fprintf(stderr, "Try 'portlight --help'.\n");
		options_free(&o);
		return 2;
	}
	/* list prints its answer on stdout: only trouble goes to stderr. */
	if (o.command == OPTIONS_LIST && !o.log_level_given)
		o.log_level = LOG_LEVEL_WARN;
	log_init(o.log_level);
	switch (o.command) {
	case OPTIONS_HELP:
		options_usage(stdout);
		status = 0;
		break;
	case OPTIONS_VERSION:
		printf("portlight %s\n", PORTLIGHT_VERSION);
		status = 0;
		break;
	case OPTIONS_LIST:
		status = list_run(&o);
		break;
	default:
		status = agent_run(&o);
		break;
	}
	options_free(&o);
	return status;
}
