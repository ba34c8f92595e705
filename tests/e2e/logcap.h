/*
 * logcap.h: a gorums_logger that keeps every message, for tests that check
 * what gorums-c logs. Thread-safe; waits have deadlines.
 */
#ifndef TESTS_E2E_LOGCAP_H
#define TESTS_E2E_LOGCAP_H

#include <stdbool.h>

#include <pthread.h>

#include "gorums/log.h"

#define LOGCAP_MAX 256

typedef struct logcap {
	pthread_mutex_t  mtx;
	pthread_cond_t   cv;
	int              n; /* messages kept (at most LOGCAP_MAX) */
	gorums_log_level levels[LOGCAP_MAX];
	char            *msgs[LOGCAP_MAX];
} logcap;

/* logcap_init starts lc empty. */
void logcap_init(logcap *lc);

/* logcap_fini frees the messages. No logging into lc may be under way. */
void logcap_fini(logcap *lc);

/* logcap_logger is a logger at level DEBUG that keeps messages in lc. */
gorums_logger logcap_logger(logcap *lc);

/*
 * logcap_wait waits up to timeout_ms for a message of level that contains
 * each of the strings of want (NULL-terminated), and returns whether one
 * came. Messages seen earlier count too.
 */
bool logcap_wait(logcap *lc, gorums_log_level level, const char *const *want,
                 int timeout_ms);

#endif /* TESTS_E2E_LOGCAP_H */
