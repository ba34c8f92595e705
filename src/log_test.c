/*
 * log_test: gri_log passes what the logger's level admits, cuts long
 * messages, and gorums_log_stderr writes whole lines.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "src/log.h"
#include "tests/harness/harness.h"

typedef struct capture {
	int              n;
	gorums_log_level level;
	char             msg[GRI_LOG_MAX + 1];
} capture;

static void
capture_fn(void *arg, gorums_log_level level, const char *msg)
{
	capture *c = arg;

	c->n++;
	c->level = level;
	snprintf(c->msg, sizeof(c->msg), "%s", msg);
}

static void
test_log_levels(void)
{
	capture       c = {0};
	gorums_logger l = {
	    .fn = capture_fn, .arg = &c, .level = GORUMS_LOG_WARN};

	gri_log(&l, GORUMS_LOG_INFO, "skipped %d", 1);
	GTS_EQ(c.n, 0);
	gri_log(&l, GORUMS_LOG_WARN, "node %s: %d", "a", 2);
	GTS_EQ(c.n, 1);
	GTS_EQ(c.level, GORUMS_LOG_WARN);
	GTS_ASSERT(strcmp(c.msg, "node a: 2") == 0);
	gri_log(&l, GORUMS_LOG_ERROR, "worse");
	GTS_EQ(c.n, 2);
	GTS_ASSERT(!gri_log_on(&l, GORUMS_LOG_DEBUG));
	GTS_ASSERT(gri_log_on(&l, GORUMS_LOG_ERROR));

	/* No function, or no logger: nothing, and no crash. */
	gorums_logger none = {.fn = NULL, .level = GORUMS_LOG_DEBUG};
	gri_log(&none, GORUMS_LOG_ERROR, "dropped");
	gri_log(NULL, GORUMS_LOG_ERROR, "dropped");
	GTS_ASSERT(!gri_log_on(&none, GORUMS_LOG_ERROR));
	GTS_EQ(c.n, 2);
}

static void
test_log_long_message_cut(void)
{
	capture       c = {0};
	gorums_logger l = {
	    .fn = capture_fn, .arg = &c, .level = GORUMS_LOG_DEBUG};
	char big[GRI_LOG_MAX * 2];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	gri_log(&l, GORUMS_LOG_DEBUG, "%s", big);
	GTS_EQ(c.n, 1);
	GTS_EQ(strlen(c.msg), GRI_LOG_MAX - 1);
}

/* with_stderr_to_pipe runs fn with stderr sent into a pipe, and reads it. */
static size_t
with_stderr_to_pipe(void (*fn)(void), char *out, size_t len)
{
	int     p[2], saved;
	ssize_t n;

	GTS_EQ(pipe(p), 0);
	GTS_ASSERT((saved = dup(STDERR_FILENO)) >= 0);
	GTS_ASSERT(dup2(p[1], STDERR_FILENO) >= 0);
	fn();
	GTS_ASSERT(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	close(p[1]);
	n = read(p[0], out, len - 1);
	close(p[0]);
	GTS_ASSERT(n >= 0);
	out[n] = '\0';
	return ((size_t) n);
}

static void
stderr_lines(void)
{
	char big[GRI_LOG_MAX * 2];

	gorums_log_stderr(NULL, GORUMS_LOG_WARN, "node x: connect failed");
	memset(big, 'y', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	gorums_log_stderr(NULL, GORUMS_LOG_DEBUG, big);
}

static void
test_log_stderr(void)
{
	char   out[4 * GRI_LOG_MAX];
	size_t n = with_stderr_to_pipe(stderr_lines, out, sizeof(out));
	char  *second;

	GTS_ASSERT(
	    strncmp(out, "gorums: warn: node x: connect failed\n", 37) == 0);
	/* A message too long for one line is cut, and still ends one. */
	second = out + 37;
	GTS_ASSERT(strncmp(second, "gorums: debug: yyy", 18) == 0);
	GTS_ASSERT(out[n - 1] == '\n');
	GTS_ASSERT(strchr(second, '\n') == out + n - 1);
}

gts_test TEST_LIST[] = {
    {"log levels", test_log_levels},
    {"log long message cut", test_log_long_message_cut},
    {"log stderr", test_log_stderr},
    {NULL, NULL},
};
