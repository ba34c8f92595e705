/*
 * flags.c: Go-style command-line flags. See flags.h.
 */
#include "examples/benchmark/flags.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool
parse_duration(const char *s, int64_t *ns)
{
	static const struct {
		const char *unit;
		double      ns;
	} units[] = {
	    /* Longest first, so that "ms" is not read as "m". */
	    {"ns", 1},  {"us", 1e3}, {"\xc2\xb5s", 1e3}, {"ms", 1e6},
	    {"s", 1e9}, {"m", 60e9}, {"h", 3600e9},
	};
	double total = 0;
	bool   neg   = false;

	if (*s == '-' || *s == '+') {
		neg = *s++ == '-';
	}
	if (strcmp(s, "0") == 0) {
		*ns = 0;
		return (true);
	}
	if (*s == '\0') {
		return (false);
	}
	while (*s != '\0') {
		char  *end;
		double v;
		size_t i;

		if ((*s < '0' || *s > '9') && *s != '.') {
			return (false);
		}
		errno = 0;
		v     = strtod(s, &end);
		if (end == s || errno != 0) {
			return (false);
		}
		s = end;
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			size_t k = strlen(units[i].unit);
			if (strncmp(s, units[i].unit, k) == 0) {
				break;
			}
		}
		if (i == sizeof(units) / sizeof(units[0])) {
			return (false); /* a number needs a unit */
		}
		total += v * units[i].ns;
		s += strlen(units[i].unit);
	}
	if (total > 9.2e18) {
		return (false);
	}
	*ns = (int64_t) (neg ? -total : total);
	return (true);
}

void
format_duration(int64_t ns, char *buf, int len)
{
	if (ns != 0 && ns % 1000000000 == 0) {
		snprintf(buf, (size_t) len, "%llds",
		         (long long) (ns / 1000000000));
	} else if (ns != 0 && ns % 1000000 == 0) {
		snprintf(buf, (size_t) len, "%lldms",
		         (long long) (ns / 1000000));
	} else if (ns != 0 && ns % 1000 == 0) {
		snprintf(buf, (size_t) len, "%lldus", (long long) (ns / 1000));
	} else {
		snprintf(buf, (size_t) len, "%lldns", (long long) ns);
	}
}

void
flags_usage(const char *prog, const flag_def *defs, int n)
{
	fprintf(stderr, "Usage of %s:\n", prog);
	for (int i = 0; i < n; i++) {
		const char *arg = defs[i].kind == FLAG_INT ? " N"
		    : defs[i].kind == FLAG_DURATION        ? " DURATION"
		    : defs[i].kind == FLAG_STRING          ? " STRING"
		                                           : "";
		fprintf(stderr, "  -%s%s\n    \t%s\n", defs[i].name, arg,
		        defs[i].usage);
	}
}

static bool
set_flag(const flag_def *d, const char *v)
{
	char *end;

	switch (d->kind) {
	case FLAG_BOOL:
		if (v == NULL || strcmp(v, "true") == 0 ||
		    strcmp(v, "1") == 0) {
			*(bool *) d->value = true;
		} else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0) {
			*(bool *) d->value = false;
		} else {
			return (false);
		}
		return (true);
	case FLAG_INT: {
		long x;
		errno = 0;
		x     = strtol(v, &end, 10);
		if (end == v || *end != '\0' || errno != 0 ||
		    x < -2147483647 || x > 2147483647) {
			return (false);
		}
		*(int *) d->value = (int) x;
		return (true);
	}
	case FLAG_DURATION:
		return (parse_duration(v, (int64_t *) d->value));
	case FLAG_STRING:
		*(const char **) d->value = v;
		return (true);
	}
	return (false);
}

bool
flags_parse(const flag_def *defs, int n, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char     *a = argv[i], *eq, *v = NULL;
		size_t          len;
		const flag_def *d = NULL;

		if (a[0] != '-' || a[1] == '\0') {
			fprintf(stderr, "unexpected argument: %s\n", a);
			goto usage;
		}
		a += a[1] == '-' ? 2 : 1;
		eq  = strchr(a, '=');
		len = eq != NULL ? (size_t) (eq - a) : strlen(a);
		for (int k = 0; k < n; k++) {
			if (strlen(defs[k].name) == len &&
			    strncmp(defs[k].name, a, len) == 0) {
				d = &defs[k];
			}
		}
		if (len == 4 && strncmp(a, "help", 4) == 0) {
			goto usage;
		}
		if (d == NULL) {
			fprintf(stderr,
			        "flag provided but not defined: -%.*s\n",
			        (int) len, a);
			goto usage;
		}
		if (eq != NULL) {
			v = eq + 1;
		} else if (d->kind != FLAG_BOOL) {
			if (i + 1 >= argc) {
				fprintf(stderr,
				        "flag needs an argument: -%s\n",
				        d->name);
				goto usage;
			}
			v = argv[++i];
		}
		if (!set_flag(d, v)) {
			fprintf(stderr, "invalid value \"%s\" for flag -%s\n",
			        v != NULL ? v : "", d->name);
			goto usage;
		}
	}
	return (true);

usage:
	flags_usage(argv[0], defs, n);
	return (false);
}
