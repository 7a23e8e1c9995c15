/*
 * options: portlight's command line.  Kept free of getenv() and exit() so
 * that every rule here is a unit test away; agent/main.c applies the
 * environment and acts on the result.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

#define OPTIONS_DEFAULT_GRACE_MS 30000

enum {
	OPT_AUTODETECT = 256,
	OPT_JSON,
	OPT_ENGINE_GRACE,
};

static const struct option options_long[] = {
    {"host", required_argument, NULL, 'H'},
    {"autodetect", no_argument, NULL, OPT_AUTODETECT},
    {"all", no_argument, NULL, 'a'},
    {"json", no_argument, NULL, OPT_JSON},
    {"log-level", required_argument, NULL, 'l'},
    {"engine-grace", required_argument, NULL, OPT_ENGINE_GRACE},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

static int options_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
options_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int
options_socket_path(
    const char *address, const char *what, char **out, char *err, size_t errlen)
{
	const char *path = address;
	const char *colon;

	if (strncmp(address, "unix://", 7) == 0)
		path = address + 7;
	else if ((colon = strstr(address, "://")) != NULL) {
		return options_fail(err, errlen,
		    "%s: \"%s\": only unix:// engine sockets are supported "
		    "(%.*s:// is not)",
		    what, address, (int)(colon - address), address);
	}
	if (*path != '/') {
		return options_fail(err, errlen,
		    "%s: \"%s\": expected unix:///absolute/path", what,
		    address);
	}
	if ((*out = strdup(path)) == NULL)
		return -ENOMEM;
	return 0;
}

static int
options_add_host(
    struct options *o, const char *address, char *err, size_t errlen)
{
	char **hosts, *path;
	int error;

	error = options_socket_path(address, "-H", &path, err, errlen);
	if (error != 0)
		return error;
	hosts = realloc(o->hosts, (o->nhosts + 1) * sizeof *hosts);
	if (hosts == NULL) {
		free(path);
		return -ENOMEM;
	}
	o->hosts = hosts;
	o->hosts[o->nhosts++] = path;
	return 0;
}

static int
options_parse_grace(const char *text, long *out)
{
	char *end;
	double seconds;

	errno = 0;
	seconds = strtod(text, &end);
	if (errno != 0 || end == text || seconds < 0 || seconds > 86400)
		return -EINVAL;
	if (*end == 's' && end[1] == '\0')
		end++;
	if (*end != '\0')
		return -EINVAL;
	*out = (long)(seconds * 1000);
	return 0;
}

int
options_parse(
    int argc, char **argv, struct options *o, char *err, size_t errlen)
{
	int ch, error;

	memset(o, 0, sizeof *o);
	o->command = OPTIONS_RUN;
	o->log_level = LOG_LEVEL_INFO;
	o->engine_grace_ms = OPTIONS_DEFAULT_GRACE_MS;

	optind = 0; /* glibc: full re-initialisation, for repeated calls */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "H:al:hV", options_long, NULL)) !=
	    -1) {
		switch (ch) {
		case 'H':
			if ((error = options_add_host(
				 o, optarg, err, errlen)) != 0)
				return error;
			break;
		case OPT_AUTODETECT:
			o->autodetect = true;
			break;
		case 'a':
			o->all = true;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case 'l':
			o->log_level_given = true;
			if (log_level_parse(optarg, &o->log_level) != 0) {
				return options_fail(err, errlen,
				    "--log-level: \"%s\": expected error, "
				    "warn, info or debug",
				    optarg);
			}
			break;
		case OPT_ENGINE_GRACE:
			if (options_parse_grace(optarg, &o->engine_grace_ms) !=
			    0) {
				return options_fail(err, errlen,
				    "--engine-grace: \"%s\": expected a "
				    "number of seconds (0 to 86400)",
				    optarg);
			}
			break;
		case 'h':
			o->command = OPTIONS_HELP;
			return 0;
		case 'V':
			o->command = OPTIONS_VERSION;
			return 0;
		default:
			if (optopt != 0 && optopt < 256)
				return options_fail(err, errlen,
				    "unknown or incomplete option -%c", optopt);
			return options_fail(err, errlen,
			    "unknown or incomplete option %s",
			    argv[optind - 1]);
		}
	}

	/* getopt_long permutes: the command word may stand anywhere. */
	if (optind < argc) {
		const char *word = argv[optind++];

		if (strcmp(word, "run") == 0)
			o->command = OPTIONS_RUN;
		else if (strcmp(word, "list") == 0)
			o->command = OPTIONS_LIST;
		else if (strcmp(word, "help") == 0) {
			o->command = OPTIONS_HELP;
			return 0;
		} else
			return options_fail(err, errlen,
			    "unknown command \"%s\" (expected run or list)",
			    word);
	}
	if (optind < argc)
		return options_fail(
		    err, errlen, "unexpected argument \"%s\"", argv[optind]);
	if (o->json && o->command != OPTIONS_LIST)
		return options_fail(err, errlen, "--json goes with list");
	if (o->nhosts == 0)
		o->autodetect = true;
	return 0;
}

void
options_usage(FILE *f)
{
	fputs("usage: portlight [run] [-a] [-H unix://PATH]... [--autodetect]\n"
	      "                 [--engine-grace SECONDS] [-l LEVEL]\n"
	      "       portlight list [--json] [-a] [-H unix://PATH]... "
	      "[--autodetect]\n"
	      "       portlight --help | --version\n"
	      "\n"
	      "Announces the services of Docker and Podman containers on the "
	      "local\n"
	      "network over mDNS/DNS-SD, through the system's avahi-daemon.\n"
	      "\n"
	      "Commands:\n"
	      "  run                  watch the engines and keep their "
	      "containers'\n"
	      "                       services announced (the default)\n"
	      "  list                 print what would be announced for the "
	      "running\n"
	      "                       containers, and why anything is skipped; "
	      "changes\n"
	      "                       nothing on the network\n"
	      "\n"
	      "Options:\n"
	      "  -H, --host unix://PATH  an engine socket to watch "
	      "(repeatable); without\n"
	      "                       it the engines are found automatically\n"
	      "      --autodetect     find engines automatically even with -H\n"
	      "  -a, --all            announce every container with a "
	      "published port,\n"
	      "                       not only those that opt in with labels\n"
	      "      --json           (list) print JSON\n"
	      "      --engine-grace SECONDS\n"
	      "                       keep a lost engine's records this long "
	      "while\n"
	      "                       reconnecting (default 30)\n"
	      "  -l, --log-level LEVEL  error, warn, info (default) or debug\n"
	      "  -h, --help           print this help\n"
	      "  -V, --version        print the version\n"
	      "\n"
	      "Environment: DOCKER_HOST (unix:// only), DOCKER_CONTEXT, "
	      "CONTAINER_HOST,\n"
	      "XDG_RUNTIME_DIR, DBUS_SYSTEM_BUS_ADDRESS.  Signals: TERM/INT "
	      "withdraw\n"
	      "everything and exit 0; HUP resyncs.  See portlight(8).\n",
	    f);
}

void
options_free(struct options *o)
{
	size_t i;

	for (i = 0; i < o->nhosts; i++)
		free(o->hosts[i]);
	free(o->hosts);
	o->hosts = NULL;
	o->nhosts = 0;
}
