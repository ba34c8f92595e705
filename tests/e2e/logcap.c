/*
 * logcap.c: see logcap.h.
 */
#include "tests/e2e/logcap.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/harness/latch.h"

void
logcap_init(logcap *lc)
{
	pthread_condattr_t a;

	memset(lc, 0, sizeof(*lc));
	/* Monotonic, as the harness's latch: deadlines from gts_now_ns. */
	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_mutex_init(&lc->mtx, NULL);
	pthread_cond_init(&lc->cv, &a);
	pthread_condattr_destroy(&a);
}

void
logcap_fini(logcap *lc)
{
	for (int i = 0; i < lc->n; i++) {
		free(lc->msgs[i]);
	}
	pthread_cond_destroy(&lc->cv);
	pthread_mutex_destroy(&lc->mtx);
}

static void
logcap_fn(void *arg, gorums_log_level level, const char *msg)
{
	logcap *lc = arg;

	pthread_mutex_lock(&lc->mtx);
	if (lc->n < LOGCAP_MAX) {
		lc->levels[lc->n] = level;
		lc->msgs[lc->n]   = strdup(msg);
		if (lc->msgs[lc->n] != NULL) {
			lc->n++;
		}
	}
	pthread_cond_broadcast(&lc->cv);
	pthread_mutex_unlock(&lc->mtx);
}

gorums_logger
logcap_logger(logcap *lc)
{
	return ((gorums_logger) {
	    .fn = logcap_fn, .arg = lc, .level = GORUMS_LOG_DEBUG});
}

static bool
logcap_match(const char *msg, const char *const *want)
{
	for (; *want != NULL; want++) {
		if (strstr(msg, *want) == NULL) {
			return (false);
		}
	}
	return (true);
}

bool
logcap_wait(logcap *lc, gorums_log_level level, const char *const *want,
            int timeout_ms)
{
	struct timespec until;
	int             seen  = 0;
	bool            found = false;

	gts_timespec_at(&until,
	                gts_now_ns() + (uint64_t) timeout_ms * 1000000u);
	pthread_mutex_lock(&lc->mtx);
	for (int rc = 0;;) {
		for (; seen < lc->n && !found; seen++) {
			found = lc->levels[seen] == level &&
			    logcap_match(lc->msgs[seen], want);
		}
		/* After a timeout, one last look (above) for what came with
		 * it. */
		if (found || rc != 0) {
			break;
		}
		rc = pthread_cond_timedwait(&lc->cv, &lc->mtx, &until);
	}
	pthread_mutex_unlock(&lc->mtx);
	return (found);
}
