/*
 * flags.h: command-line flags in the manner of Go's flag package, so that
 * the benchmark takes the same command lines as Gorums' cmd/benchmark:
 * "-name value", "-name=value", "--name" as "-name", and booleans as
 * "-name" or "-name=true|false". Durations are Go durations ("1s",
 * "500ms", "1m30s", "1.5s", "250us", "0").
 */
#ifndef BENCH_FLAGS_H
#define BENCH_FLAGS_H

#include <stdbool.h>
#include <stdint.h>

typedef enum flag_kind {
	FLAG_BOOL,
	FLAG_INT,
	FLAG_DURATION, /* int64_t ns */
	FLAG_STRING,   /* const char *, pointing into argv */
} flag_kind;

typedef struct flag_def {
	const char *name;
	flag_kind   kind;
	void       *value; /* bool *, int *, int64_t *, const char ** */
	const char *usage;
} flag_def;

/*
 * flags_parse sets the flags of defs[0..n) from argv; on a bad command
 * line it prints why and the usage to stderr and returns false. Positional
 * arguments are not accepted.
 */
bool flags_parse(const flag_def *defs, int n, int argc, char **argv);

/* flags_usage prints every flag and its usage to stderr. */
void flags_usage(const char *prog, const flag_def *defs, int n);

/* parse_duration parses a Go duration into *ns; false if malformed. */
bool parse_duration(const char *s, int64_t *ns);

/* format_duration writes a short Go-style duration ("1s", "50ms"). */
void format_duration(int64_t ns, char *buf, int len);

#endif /* BENCH_FLAGS_H */
