/*
 * strbuf.h: growable strings and a bump arena for protoc-gen-gorums.
 *
 * The plugin is a short-lived filter, so running out of memory is fatal:
 * these functions print "protoc-gen-gorums: out of memory" and exit(1)
 * instead of returning NULL, which keeps every caller free of
 * allocation-failure paths. Everything the model holds comes from one
 * arena, freed at once when the response is written.
 */
#ifndef GEN_STRBUF_H
#define GEN_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

/* sb: a NUL-terminated string that grows. Zero-initialise before use. */
typedef struct sb {
	char  *p; /* NULL until the first append */
	size_t len;
	size_t cap;
} sb;

/* sb_puts appends s. */
void sb_puts(sb *b, const char *s);

/* sb_printf appends the formatted text. */
void sb_printf(sb *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* sb_str is the text so far ("" before the first append). */
const char *sb_str(const sb *b);

/* sb_take hands the buffer (malloc'd, never NULL) to the caller. */
char *sb_take(sb *b);

/* sb_fini frees the buffer. */
void sb_fini(sb *b);

/* arena: blocks of memory freed together. Zero-initialise before use. */
typedef struct arena {
	struct arena_blk *blks;
} arena;

/* arena_alloc returns size zeroed bytes, aligned for any type. */
void *arena_alloc(arena *a, size_t size);

/* arena_strdup copies s into the arena. */
char *arena_strdup(arena *a, const char *s);

/* arena_printf formats into a string in the arena. */
char *arena_printf(arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* arena_fini frees every block. */
void arena_fini(arena *a);

/* xmalloc is malloc that never returns NULL (see above). */
void *xmalloc(size_t size);

#endif /* GEN_STRBUF_H */
