/*
 * Logging: level-filtered lines on stderr.  The daemon runs under systemd
 * or in a terminal; both want plain lines, journald adds the time.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"

static enum log_level log_level = LOG_LEVEL_INFO;

static const char *const log_words[] = {
    [LOG_LEVEL_ERROR] = "error",
    [LOG_LEVEL_WARN] = "warn",
    [LOG_LEVEL_INFO] = "info",
    [LOG_LEVEL_DEBUG] = "debug",
};

void
log_init(enum log_level level)
{
	log_level = level;
}

int
log_level_parse(const char *word, enum log_level *out)
{
	size_t i;

	for (i = 0; i < sizeof log_words / sizeof log_words[0]; i++) {
		if (strcasecmp(word, log_words[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	if (strcasecmp(word, "warning") == 0) {
		*out = LOG_LEVEL_WARN;
		return 0;
	}
	return -EINVAL;
}

enum log_level
log_get_level(void)
{
	return log_level;
}

bool
log_enabled(enum log_level level)
{
	return level <= log_level;
}

static void log_vwrite(enum log_level level, const char *fmt, va_list ap,
    int errnum) __attribute__((format(printf, 2, 0)));

static void
log_vwrite(enum log_level level, const char *fmt, va_list ap, int errnum)
{
	char msg[2048];

	if (!log_enabled(level))
		return;
	vsnprintf(msg, sizeof msg, fmt, ap);
	if (errnum != 0)
		fprintf(stderr, "portlight: %s: %s: %s\n", log_words[level],
		    msg, strerror(errnum));
	else
		fprintf(stderr, "portlight: %s: %s\n", log_words[level], msg);
}

#define LOG_BODY(level, errnum)                                                \
	do {                                                                   \
		va_list ap;                                                    \
		va_start(ap, fmt);                                             \
		log_vwrite(level, fmt, ap, errnum);                            \
		va_end(ap);                                                    \
	} while (0)

void
log_error(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_ERROR, 0);
}

void
log_warnx(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_WARN, 0);
}

void
log_warn(const char *fmt, ...)
{
	int saved = errno;

	LOG_BODY(LOG_LEVEL_WARN, saved);
}

void
log_info(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_INFO, 0);
}

void
log_debug(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_DEBUG, 0);
}

void
fatal(const char *fmt, ...)
{
	int saved = errno;

	LOG_BODY(LOG_LEVEL_ERROR, saved);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_ERROR, 0);
	exit(1);
}
