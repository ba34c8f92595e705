/*
 * strbuf.c: growable strings and a bump arena. See strbuf.h.
 */
#include "gen/strbuf.h"

#include <stdalign.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *
xmalloc(size_t size)
{
	void *p = malloc(size > 0 ? size : 1);

	if (p == NULL) {
		fputs("protoc-gen-gorums: out of memory\n", stderr);
		exit(1);
	}
	return (p);
}

static void
sb_reserve(sb *b, size_t more)
{
	size_t need = b->len + more + 1;
	char  *p;

	if (need <= b->cap) {
		return;
	}
	size_t cap = b->cap > 0 ? b->cap : 256;
	while (cap < need) {
		cap *= 2;
	}
	p = xmalloc(cap);
	if (b->p != NULL) {
		memcpy(p, b->p, b->len + 1);
		free(b->p);
	} else {
		p[0] = '\0';
	}
	b->p   = p;
	b->cap = cap;
}

void
sb_puts(sb *b, const char *s)
{
	size_t n = strlen(s);

	sb_reserve(b, n);
	memcpy(b->p + b->len, s, n + 1);
	b->len += n;
}

static void
sb_vprintf(sb *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int     n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0) {
		fputs("protoc-gen-gorums: bad format\n", stderr);
		exit(1);
	}
	sb_reserve(b, (size_t) n);
	(void) vsnprintf(b->p + b->len, (size_t) n + 1, fmt, ap);
	b->len += (size_t) n;
}

void
sb_printf(sb *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sb_vprintf(b, fmt, ap);
	va_end(ap);
}

const char *
sb_str(const sb *b)
{
	return (b->p != NULL ? b->p : "");
}

char *
sb_take(sb *b)
{
	char *p;

	sb_reserve(b, 0);
	p      = b->p;
	b->p   = NULL;
	b->len = 0;
	b->cap = 0;
	return (p);
}

void
sb_fini(sb *b)
{
	free(b->p);
	b->p   = NULL;
	b->len = 0;
	b->cap = 0;
}

/*
 * Each allocation is its own block: the model is small (a few hundred
 * strings), so a real bump allocator would buy nothing but code.
 */
struct arena_blk {
	struct arena_blk *next;
	alignas(max_align_t) unsigned char data[];
};

void *
arena_alloc(arena *a, size_t size)
{
	struct arena_blk *b = xmalloc(sizeof(*b) + size);

	memset(b->data, 0, size);
	b->next = a->blks;
	a->blks = b;
	return (b->data);
}

char *
arena_strdup(arena *a, const char *s)
{
	size_t n = strlen(s);
	char  *p = arena_alloc(a, n + 1);

	memcpy(p, s, n + 1);
	return (p);
}

char *
arena_printf(arena *a, const char *fmt, ...)
{
	va_list ap;
	sb      b = {0};
	char   *p;

	va_start(ap, fmt);
	sb_vprintf(&b, fmt, ap);
	va_end(ap);
	p = arena_strdup(a, sb_str(&b));
	sb_fini(&b);
	return (p);
}

void
arena_fini(arena *a)
{
	while (a->blks != NULL) {
		struct arena_blk *b = a->blks;
		a->blks             = b->next;
		free(b);
	}
}
