/*
 * log.c: gri_log and the ready-made stderr logger.
 */
#include "src/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

bool
gri_log_on(const gorums_logger *l, gorums_log_level level)
{
	return (l != NULL && l->fn != NULL && level <= l->level);
}

void
gri_log(const gorums_logger *l, gorums_log_level level, const char *fmt, ...)
{
	char    msg[GRI_LOG_MAX];
	va_list ap;

	if (!gri_log_on(l, level)) {
		return;
	}
	va_start(ap, fmt);
	(void) vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	l->fn(l->arg, level, msg);
}

const char *
gorums_log_level_name(gorums_log_level level)
{
	switch (level) {
	case GORUMS_LOG_ERROR:
		return ("error");
	case GORUMS_LOG_WARN:
		return ("warn");
	case GORUMS_LOG_INFO:
		return ("info");
	default:
		return ("debug");
	}
}

void
gorums_log_stderr(void *arg, gorums_log_level level, const char *msg)
{
	char line[GRI_LOG_MAX + 32];
	int  n;

	(void) arg;
	/* One write, so that lines of concurrent threads do not mix. */
	n = snprintf(line, sizeof(line), "gorums: %s: %s\n",
	             gorums_log_level_name(level), msg);
	if (n < 0) {
		return;
	}
	if ((size_t) n >= sizeof(line)) {
		n           = (int) sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	(void) !write(STDERR_FILENO, line, (size_t) n);
}
