/*
 * harness.c: main() and the watchdog for gorums-c tests. See harness.h.
 */
#include "tests/harness/harness.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char     *current_test = "(none)";
static uint64_t        current_deadline_ns; /* 0: no test running */
static pthread_mutex_t watchdog_mtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t  watchdog_cv;

_Noreturn void
gts_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "FAIL %s: %s:%d: ", current_test, file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n0 passed, 1 failed\n");
	fflush(stderr);
	_exit(1);
}

/* The watchdog aborts the process if a test outlives its deadline. */
static void *
watchdog_main(void *arg)
{
	(void) arg;
	pthread_mutex_lock(&watchdog_mtx);
	for (;;) {
		uint64_t now = gts_now_ns();
		if (current_deadline_ns != 0 && now >= current_deadline_ns) {
			fprintf(
			    stderr,
			    "FAIL %s: deadline exceeded, aborting (hang?)\n",
			    current_test);
			fflush(stderr);
			abort();
		}
		struct timespec ts;
		gts_timespec_at(&ts,
		                current_deadline_ns != 0 ? current_deadline_ns
		                                         : now + 1000000000u);
		pthread_cond_timedwait(&watchdog_cv, &watchdog_mtx, &ts);
	}
	return (NULL);
}

int
main(int argc, char **argv)
{
	pthread_condattr_t a;
	pthread_t          wd;
	int                passed     = 0;
	long               deadline_s = 60;
	const char        *env        = getenv("GTS_DEADLINE_S");

	if (env != NULL && atol(env) > 0) {
		deadline_s = atol(env);
	}
	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(&watchdog_cv, &a);
	pthread_condattr_destroy(&a);
	pthread_create(&wd, NULL, watchdog_main, NULL);
	pthread_detach(wd);

	for (gts_test *t = TEST_LIST; t->name != NULL; t++) {
		/* A filter argument runs only the tests whose name has it. */
		if (argc > 1 && strstr(t->name, argv[1]) == NULL) {
			continue;
		}
		uint64_t start = gts_now_ns();
		pthread_mutex_lock(&watchdog_mtx);
		current_test = t->name;
		current_deadline_ns =
		    start + (uint64_t) deadline_s * 1000000000u;
		pthread_cond_signal(&watchdog_cv);
		pthread_mutex_unlock(&watchdog_mtx);

		t->fn();

		pthread_mutex_lock(&watchdog_mtx);
		current_deadline_ns = 0;
		pthread_mutex_unlock(&watchdog_mtx);
		printf("ok   %-50s %8.1f ms\n", t->name,
		       (double) (gts_now_ns() - start) / 1e6);
		fflush(stdout);
		passed++;
	}
	printf("%d passed, 0 failed\n", passed);
	return (0);
}
