/*
 * names.c: C names derived from proto names. See names.h.
 *
 * Character classes are tested by hand, not with <ctype.h>, so that the
 * result never depends on the locale protoc runs the plugin in.
 */
#include "gen/names.h"

#include <string.h>

static bool
is_upper(char c)
{
	return (c >= 'A' && c <= 'Z');
}

static char
to_lower(char c)
{
	return (is_upper(c) ? (char) (c - 'A' + 'a') : c);
}

static char
to_upper(char c)
{
	return (c >= 'a' && c <= 'z' ? (char) (c - 'a' + 'A') : c);
}

char *
nm_lower(arena *a, const char *name)
{
	size_t n         = strlen(name);
	char  *out       = arena_alloc(a, 2 * n + 1);
	size_t j         = 0;
	bool   was_upper = true; /* no '_' in front of a leading capital */

	for (size_t i = 0; i < n; i++) {
		bool up = is_upper(name[i]);
		if (up && !was_upper) {
			out[j++] = '_';
		}
		out[j++]  = to_lower(name[i]);
		was_upper = up;
	}
	out[j] = '\0';
	return (out);
}

char *
nm_upper(arena *a, const char *lower)
{
	char *out = arena_strdup(a, lower);

	for (char *p = out; *p != '\0'; p++) {
		*p = to_upper(*p);
	}
	return (out);
}

/*
 * The full name as protoc-gen-c sees it: with c_package, the package part
 * is replaced (OverrideFullName in protoc-gen-c's c_helpers.cc).
 */
static const char *
override_full(arena *a, const char *full, const char *pkg,
              const char *c_package)
{
	size_t plen;

	if (full[0] == '.') {
		full++;
	}
	if (c_package == NULL) {
		return (full);
	}
	plen = strlen(pkg);
	if (plen == 0) {
		return (arena_printf(a, "%s.%s", c_package, full));
	}
	return (arena_printf(a, "%s%s", c_package, full + plen));
}

/* to_camel: protoc-gen-c's ToCamel on one piece ("my_msg" -> "MyMsg"). */
static void
put_camel(sb *b, const char *piece, size_t n)
{
	bool next_up = true;
	char c[2]    = {0, 0};

	for (size_t i = 0; i < n; i++) {
		if (piece[i] == '_') {
			next_up = true;
			continue;
		}
		c[0]    = next_up ? to_upper(piece[i]) : piece[i];
		next_up = false;
		sb_puts(b, c);
	}
}

static void
put_lower(arena *a, sb *b, const char *piece, size_t n)
{
	char *p = arena_alloc(a, n + 1);

	memcpy(p, piece, n);
	sb_puts(b, nm_lower(a, p));
}

/* Splits on '.', skips empty pieces, joins with "__" (FullNameToC). */
static char *
join_pieces(arena *a, const char *full, bool camel)
{
	sb    b = {0};
	char *out;

	for (const char *p = full; *p != '\0';) {
		const char *dot = strchr(p, '.');
		size_t      n   = dot != NULL ? (size_t) (dot - p) : strlen(p);
		if (n > 0) {
			if (b.len > 0) {
				sb_puts(&b, "__");
			}
			if (camel) {
				put_camel(&b, p, n);
			} else {
				put_lower(a, &b, p, n);
			}
		}
		p += n;
		if (*p == '.') {
			p++;
		}
	}
	out = arena_strdup(a, sb_str(&b));
	sb_fini(&b);
	return (out);
}

char *
nm_type_c(arena *a, const char *full, const char *pkg, const char *c_package)
{
	return (join_pieces(a, override_full(a, full, pkg, c_package), true));
}

char *
nm_type_lower(arena *a, const char *full, const char *pkg,
              const char *c_package)
{
	return (join_pieces(a, override_full(a, full, pkg, c_package), false));
}

uint32_t
nm_method_id(const char *full)
{
	uint32_t h = 2166136261u; /* FNV-1a offset basis */

	for (const unsigned char *p = (const unsigned char *) full; *p != 0;
	     p++) {
		h ^= *p;
		h *= 16777619u; /* FNV prime */
	}
	return (h != 0 ? h : 1);
}

static const char *const reserved_words[] = {
    /* C11 keywords (the _Upper ones cannot arise: ours are lower case) */
    "auto",
    "break",
    "case",
    "char",
    "const",
    "continue",
    "default",
    "do",
    "double",
    "else",
    "enum",
    "extern",
    "float",
    "for",
    "goto",
    "if",
    "inline",
    "int",
    "long",
    "register",
    "restrict",
    "return",
    "short",
    "signed",
    "sizeof",
    "static",
    "struct",
    "switch",
    "typedef",
    "union",
    "unsigned",
    "void",
    "volatile",
    "while",
    /* macros of standard headers generated code includes or may meet */
    "bool",
    "true",
    "false",
    "alignas",
    "alignof",
    "noreturn",
    "static_assert",
    "thread_local",
    "complex",
    "imaginary",
    "assert",
    "errno",
    "offsetof",
    "NULL",
    /* C++ keywords: the generated header is usable from C++ */
    "and",
    "and_eq",
    "asm",
    "bitand",
    "bitor",
    "catch",
    "char8_t",
    "char16_t",
    "char32_t",
    "class",
    "co_await",
    "co_return",
    "co_yield",
    "compl",
    "concept",
    "consteval",
    "constexpr",
    "constinit",
    "const_cast",
    "decltype",
    "delete",
    "dynamic_cast",
    "explicit",
    "export",
    "friend",
    "mutable",
    "namespace",
    "new",
    "noexcept",
    "not",
    "not_eq",
    "nullptr",
    "operator",
    "or",
    "or_eq",
    "private",
    "protected",
    "public",
    "reinterpret_cast",
    "requires",
    "static_cast",
    "template",
    "this",
    "throw",
    "try",
    "typeid",
    "typename",
    "using",
    "virtual",
    "wchar_t",
    "xor",
    "xor_eq",
};

bool
nm_reserved(const char *word)
{
	for (size_t i = 0;
	     i < sizeof(reserved_words) / sizeof(reserved_words[0]); i++) {
		if (strcmp(word, reserved_words[i]) == 0) {
			return (true);
		}
	}
	return (false);
}

char *
nm_file_ident(arena *a, const char *file)
{
	static const char hex[] = "0123456789abcdef";
	sb                b     = {0};
	char             *out;

	for (const unsigned char *p = (const unsigned char *) file; *p != 0;
	     p++) {
		char c[4] = {0, 0, 0, 0};
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9')) {
			c[0] = (char) *p;
		} else {
			c[0] = '_';
			c[1] = hex[*p >> 4];
			c[2] = hex[*p & 0xf];
		}
		sb_puts(&b, c);
	}
	out = arena_strdup(a, sb_str(&b));
	sb_fini(&b);
	return (out);
}
