/*
 * gorums/log.h: where gorums-c reports what no call returns.
 *
 * Most failures reach the caller as a call's error. Some have no caller to
 * tell: a server closing a connection that sent a malformed frame or failed
 * its TLS handshake, a node's stream breaking or its reconnects failing, a
 * listener running out of descriptors. Those go to the logger of the
 * manager or server concerned, if it has one. By default none is set and
 * nothing is printed.
 */
#ifndef GORUMS_LOG_H
#define GORUMS_LOG_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum gorums_log_level {
	GORUMS_LOG_ERROR = 0, /* failed, and will not recover by itself */
	GORUMS_LOG_WARN  = 1, /* a connection failed or broke */
	GORUMS_LOG_INFO  = 2, /* a connection opened or closed normally */
	GORUMS_LOG_DEBUG = 3, /* details */
} gorums_log_level;

/*
 * gorums_log_fn receives one message: a line without a newline, valid only
 * during the call. It is called on the runtime's threads and nng's, from
 * several at once: it must be thread-safe, quick, and never block or call
 * back into gorums.
 */
typedef void (*gorums_log_fn)(void *arg, gorums_log_level level,
                              const char *msg);

typedef struct gorums_logger {
	gorums_log_fn    fn;    /* NULL: log nothing (the default) */
	void            *arg;   /* passed to fn */
	gorums_log_level level; /* the most detailed level passed to fn */
} gorums_logger;

/*
 * gorums_log_stderr is a ready-made gorums_log_fn: it writes
 * "gorums: <level>: <msg>" and a newline to stderr, in one write. arg is
 * unused.
 */
void gorums_log_stderr(void *arg, gorums_log_level level, const char *msg);

/* gorums_log_level_name is "error", "warn", "info" or "debug". */
const char *gorums_log_level_name(gorums_log_level level);

#ifdef __cplusplus
}
#endif

#endif /* GORUMS_LOG_H */
