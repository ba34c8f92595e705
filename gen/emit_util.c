/*
 * emit_util.c: line breaking, comments and structs for the emitters. See
 * emit.h.
 */
#include <string.h>

#include "gen/emit.h"

enum { EM_COLUMNS = 79 }; /* the last column a line may use */

/* Visual width of s, with tabs (leading only) as 8 columns. */
static size_t
width(const char *s)
{
	size_t w = 0;

	for (; *s != '\0'; s++) {
		w = *s == '\t' ? (w / 8 + 1) * 8 : w + 1;
	}
	return (w);
}

static void
pad(sb *out, const char *tabs, size_t ntabs, size_t spaces)
{
	for (size_t i = 0; i < ntabs; i++) {
		sb_puts(out, tabs);
	}
	for (size_t i = 0; i < spaces; i++) {
		sb_puts(out, " ");
	}
}

void
em_call(sb *out, const char *head, const char *const *params, size_t nparams,
        const char *tail)
{
	size_t ntabs = strspn(head, "\t");
	size_t col   = width(head);
	size_t indent;
	size_t longest = 0; /* the widest parameter with what follows it */

	for (size_t i = 0; i < nparams; i++) {
		size_t n = strlen(params[i]) +
		    (i + 1 < nparams ? 1 : strcspn(tail, "\n"));
		longest = n > longest ? n : longest;
	}
	sb_puts(out, head);
	indent = col - ntabs * 8; /* spaces after the leading tabs */
	if (nparams > 0 && col + longest > EM_COLUMNS) {
		/* No room after '(': a fresh line, four columns in. */
		indent = 4;
		col    = ntabs * 8 + indent;
		sb_puts(out, "\n");
		pad(out, "\t", ntabs, indent);
	}
	for (size_t i = 0; i < nparams; i++) {
		/* What must fit on this line: the parameter, and the ","
		 * or the tail after it. */
		size_t after = i + 1 < nparams ? 1 : strcspn(tail, "\n");
		size_t need  = strlen(params[i]) + after;
		if (i > 0) {
			if (col + 2 + need > EM_COLUMNS) {
				sb_puts(out, ",\n");
				pad(out, "\t", ntabs, indent);
				col = ntabs * 8 + indent;
			} else {
				sb_puts(out, ", ");
				col += 2;
			}
		}
		sb_puts(out, params[i]);
		col += strlen(params[i]);
	}
	sb_puts(out, tail);
}

/* Writes one " * " line of words text[0..len) into a comment. */
static void
doc_line(sb *out, const char *indent, const char *text, size_t len)
{
	sb_printf(out, "%s *%s%.*s\n", indent, len > 0 ? " " : "", (int) len,
	          text);
}

void
em_doc_lines(sb *out, const char *indent, const char *text)
{
	size_t room = EM_COLUMNS - width(indent) - 3; /* " * " */

	for (const char *p = text; *p != '\0';) {
		size_t line = strcspn(p, "\n");
		/* Fill: break at the last space that fits. */
		while (line > room) {
			size_t cut = room;
			while (cut > 0 && p[cut] != ' ') {
				cut--;
			}
			if (cut == 0) {
				cut = strcspn(p, " \n"); /* a long word */
				if (cut >= line) {
					break;
				}
			}
			doc_line(out, indent, p, cut);
			p += cut + 1;
			line -= cut + 1;
		}
		doc_line(out, indent, p, line);
		p += line;
		if (*p == '\n') {
			p++;
		}
	}
}

void
em_doc(sb *out, const char *indent, const char *text)
{
	if (strchr(text, '\n') == NULL &&
	    width(indent) + strlen(text) + 6 <= EM_COLUMNS) {
		sb_printf(out, "%s/* %s */\n", indent, text);
		return;
	}
	sb_printf(out, "%s/*\n", indent);
	em_doc_lines(out, indent, text);
	sb_printf(out, "%s */\n", indent);
}

void
em_comment(sb *out, const char *indent, const char *text)
{
	size_t end = strlen(text);

	/* Blank lines at the end go. */
	while (end > 0 &&
	       (text[end - 1] == '\n' || text[end - 1] == ' ' ||
	        text[end - 1] == '\t' || text[end - 1] == '\r')) {
		end--;
	}
	for (size_t i = 0; i < end;) {
		size_t len = 0;
		char   prev;

		while (i + len < end && text[i + len] != '\n') {
			len++;
		}
		/* Trailing blanks go; a blank line stays a bare " *". */
		while (len > 0 &&
		       (text[i + len - 1] == ' ' ||
		        text[i + len - 1] == '\t' ||
		        text[i + len - 1] == '\r')) {
			len--;
		}
		sb_printf(out, "%s *", indent);
		/* protoc keeps the space after "//"; add one if missing. */
		prev = ' ';
		if (len > 0 && text[i] != ' ') {
			sb_puts(out, " ");
		}
		for (size_t k = 0; k < len; k++) {
			char c[3] = {text[i + k], 0, 0};
			if (c[0] == '\t') {
				c[0] = ' ';
			}
			/* Break up comment delimiters. */
			if ((c[0] == '/' && prev == '*') ||
			    (c[0] == '*' && prev == '/')) {
				c[1] = c[0];
				c[0] = ' ';
			}
			sb_puts(out, c);
			prev = c[1] != 0 ? c[1] : c[0];
		}
		sb_puts(out, "\n");
		while (i < end && text[i] != '\n') {
			i++;
		}
		i++; /* the newline */
	}
}

/*
 * Aligns the names of declarations (after their '*'s) in one column, one
 * past the longest type, as clang-format's AlignConsecutiveDeclarations.
 */
static void
put_decls(sb *out, const em_field *fields, size_t nfields, bool comments)
{
	size_t col = 0;

	for (size_t i = 0; i < nfields; i++) {
		size_t n =
		    strlen(fields[i].type) + 1 + strspn(fields[i].decl, "*");
		col = n > col ? n : col;
	}
	/* Too wide to align within the columns: one space apart; and if
	 * a comment does not fit after its member, all go above theirs. */
	bool above = false;
	for (size_t i = 0; i < nfields; i++) {
		size_t n = strspn(fields[i].decl, "*");
		if (8 + col - n + strlen(fields[i].decl) + 1 > EM_COLUMNS) {
			col = 0;
		}
	}
	for (size_t i = 0; comments && i < nfields; i++) {
		const em_field *f   = &fields[i];
		size_t          n   = strlen(f->type) + strspn(f->decl, "*");
		size_t          gap = col > n ? col - n : 1;
		if (f->comment != NULL &&
		    8 + n + gap + strlen(f->decl) + 1 + strlen(f->comment) +
		            7 >
		        EM_COLUMNS) {
			above = true;
		}
	}
	for (size_t i = 0; i < nfields; i++) {
		const em_field *f   = &fields[i];
		size_t          n   = strlen(f->type) + strspn(f->decl, "*");
		size_t          gap = col > n ? col - n : 1;
		bool            cmt = comments && f->comment != NULL;

		if (cmt && above) {
			sb_printf(out, "\t/* %s */\n", f->comment);
			cmt = false;
		}
		sb_printf(out, "\t%s%*s%s;", f->type, (int) gap, "", f->decl);
		if (cmt) {
			sb_printf(out, " /* %s */", f->comment);
		}
		sb_puts(out, "\n");
	}
}

void
em_struct(sb *out, const char *name, const em_field *fields, size_t nfields)
{
	sb_printf(out, "typedef struct %s {\n", name);
	put_decls(out, fields, nfields, true);
	sb_printf(out, "} %s;\n", name);
}

void
em_decls(sb *out, const em_field *fields, size_t nfields)
{
	put_decls(out, fields, nfields, false);
}
