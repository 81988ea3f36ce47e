/* job-scan.c — the pre-pass over a job file's raw text (see job-internal.h).
 *
 * The token rules follow libconfuse 3.3's lexer.l: '#' starts a comment
 * anywhere outside quotes; a run of two or more '/' starts one when it is
 * not part of a longer bare word ("https://x" is a word); C comments; double
 * quoted strings with backslash escapes and ${VAR} / ${VAR:-default}
 * expansion; single quoted strings without expansion; bare words; a bare
 * ${VAR}.  Beyond libconfuse, it notes what libconfuse would silently
 * accept or cut: a NUL byte (flex reads it as the end of a string), a C
 * comment or a string never closed, and a first token no job file starts
 * with. */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gather/error.h"
#include "job/job-internal.h"
#include "util/strbuf.h"

/* A character of a bare word (lexer.l's unquoted-string class). */
static bool is_bare(char c)
{
	return c && !strchr(" \t\n\r#\"'={}()+,*", c);
}

/* Whether text[i..j) is a key in our style (a lower-case letter, then
 * lower-case letters, digits, '-', '_') followed by '=': a job file with
 * a misspelt key at its top still is one (its faults are shown), where
 * /etc/passwd, /etc/shadow, os-release's NAME=, an INI file or a script
 * are not. */
static bool key_assignment(const char *text, size_t len, size_t i, size_t j)
{
	if (j == i || !(text[i] >= 'a' && text[i] <= 'z'))
		return false;
	for (size_t k = i; k < j; k++)
		if (!((text[k] >= 'a' && text[k] <= 'z') || (text[k] >= '0' && text[k] <= '9') ||
		      text[k] == '-' || text[k] == '_'))
			return false;
	while (j < len && (text[j] == ' ' || text[j] == '\t'))
		j++;
	return j < len && text[j] == '=';
}

static int push_mark(struct job_scan_mark **v, size_t *n, const char *name, size_t len,
                     unsigned line)
{
	/* doubled when the count reaches a power of two: 100,000 jobs, 17
	 * reallocs */
	struct job_scan_mark *nv = (*n & (*n - 1)) == 0 ?
		realloc(*v, (*n ? 2 * *n : 1) * sizeof *nv) : *v;
	if (!nv)
		return GATHER_E_NOMEM;
	*v = nv;
	nv[*n].name = strndup(name, len);
	if (!nv[*n].name)
		return GATHER_E_NOMEM;
	nv[*n].line = line;
	nv[*n].off = 0;
	(*n)++;
	return 0;
}

/* Called at "${" (text[i] == '$'): expands the reference into out the way
 * libconfuse does, notes an undefined variable, and returns the index after
 * the closing brace, or i + 1 when there is none (then '$' is literal). */
static size_t expand_var(struct job_scan *s, const char *text, size_t len, size_t i,
                         unsigned line, struct gather_strbuf *out, int *err)
{
	const char *end = memchr(text + i + 2, '}', len - i - 2);
	if (!end) {
		gather_strbuf_addc(out, '$');
		return i + 1;
	}
	size_t nlen = (size_t)(end - (text + i + 2));
	char *name = strndup(text + i + 2, nlen);
	if (!name) {
		*err = GATHER_E_NOMEM;
		return len;
	}
	char *dflt = strstr(name, ":-");
	if (dflt) {
		*dflt = '\0';
		dflt += 2;
	}
	const char *v = getenv(name);
	if (!v && dflt)
		v = dflt;
	if (v)
		gather_strbuf_adds(out, v);
	else if (push_mark(&s->undef, &s->nundef, name, strlen(name), line) < 0)
		*err = GATHER_E_NOMEM;
	free(name);
	return (size_t)(end - text) + 1;
}

enum tok_kind { TOK_NONE, TOK_STR, TOK_PUNCT };

struct tok {
	enum tok_kind kind;
	char *s;
	unsigned line;
	size_t start, end;  /* byte range in the text */
};

static void tok_shift(struct tok t[2], enum tok_kind kind, char *s, unsigned line,
                      size_t start, size_t end)
{
	free(t[0].s);
	t[0] = t[1];
	t[1] = (struct tok){ kind, s, line, start, end };
}

/* Remove every top-level job title (`job "NAME" {` becomes `job {`), so
 * that libconfuse, which merges sections of one title, keeps each job
 * apart, and does not look for an earlier section of the same title at
 * each new one (a walk over all of them: checking 100,000 jobs took
 * hours).  job.c names each section "\001N" when it closes (N: its index
 * in s->jobs, which is its index among libconfuse's job sections) and maps
 * the titles back.  Lines are kept (no newline added or removed: a title's
 * newlines are kept in its place). */
static int retitle(struct job_scan *s, const size_t *range)
{
	struct gather_strbuf b = { 0 };
	size_t at = 0;
	for (size_t k = 0; k < s->njobs; k++) {
		/* the keyword is before the title: where it lands */
		s->jobs[k].off = b.len + (s->jobs[k].off - at);
		for (; at < range[2 * k]; at++)
			gather_strbuf_addc(&b, s->text[at]);
		for (; at < range[2 * k + 1]; at++)
			if (s->text[at] == '\n')
				gather_strbuf_addc(&b, '\n');
	}
	for (; at < s->len; at++)
		gather_strbuf_addc(&b, s->text[at]);
	if (b.oom || !b.p) {
		free(b.p);
		return b.oom ? GATHER_E_NOMEM : 0;
	}
	free(s->text);
	s->text = b.p;
	s->len = b.len;
	return 0;
}

int job_scan(const char *text, size_t len, struct job_scan *ret)
{
	struct job_scan s = { 0 };
	struct tok t[2] = { { 0 }, { 0 } };
	unsigned line = 1, depth = 0;
	size_t i = 0, *range = NULL;
	int err = 0;

	s.text = malloc(len + 1);
	if (!s.text)
		return GATHER_E_NOMEM;
	memcpy(s.text, text, len);
	s.text[len] = '\0';
	s.len = len;

	while (i < len && err == 0) {
		char c = text[i];
		struct gather_strbuf b = { 0 };
		unsigned tline = line;

		if (c == '\0' && !s.nul_line)
			s.nul_line = line;
		if (!s.first_line && !(c == '\n' || c == ' ' || c == '\t' || c == '\r' || c == '#' ||
		                       (c == '/' && i + 1 < len && (text[i + 1] == '/' || text[i + 1] == '*')))) {
			/* the first token: a job file's top level holds job, defaults
			 * and include() only */
			size_t j = i;
			while (j < len && is_bare(text[j]))
				j++;
			s.first_line = line;
			s.not_job = !((j - i == 3 && memcmp(text + i, "job", 3) == 0) ||
			              (j - i == 8 && memcmp(text + i, "defaults", 8) == 0) ||
			              (j - i == 7 && memcmp(text + i, "include", 7) == 0) ||
			              key_assignment(text, len, i, j));
		}
		if (c == '\n') {
			line++;
			i++;
		} else if (c == ' ' || c == '\t' || c == '\r') {
			i++;
		} else if (c == '#' || (c == '/' && i + 1 < len && text[i + 1] == '/' &&
		                        !is_bare(s.text[i + strspn(s.text + i, "/")]))) {
			while (i < len && text[i] != '\n')
				s.text[i++] = ' ';
		} else if (c == '/' && i + 1 < len && text[i + 1] == '*') {
			s.text[i++] = ' ';
			s.text[i++] = ' ';
			while (i < len && !(text[i] == '*' && i + 1 < len && text[i + 1] == '/')) {
				if (text[i] == '\n')
					line++;
				else
					s.text[i] = ' ';
				i++;
			}
			if (i >= len && !s.unterminated_comment)
				s.unterminated_comment = tline;
			for (unsigned k = 0; k < 2 && i < len; k++)
				s.text[i++] = ' ';
		} else if (c == '"' || c == '\'') {
			size_t start = i;
			for (i++; i < len && text[i] != c && err == 0;) {
				if (text[i] == '\\' && i + 1 < len) {
					char e = text[i + 1];
					if (e == '\n')
						line++;
					else if (c == '\'' && e != '\\' && e != '\'')
						gather_strbuf_addc(&b, '\\'), gather_strbuf_addc(&b, e);
					else
						gather_strbuf_addc(&b, e == 'n' && c == '"' ? '\n' : e == 't' && c == '"' ? '\t' : e);
					i += 2;
				} else if (c == '"' && text[i] == '$' && i + 1 < len && text[i + 1] == '{') {
					i = expand_var(&s, text, len, i, line, &b, &err);
				} else {
					if (text[i] == '\n')
						line++;
					if (text[i] == '\0' && !s.nul_line) {
						s.nul_line = line;
						s.nul_in_string = true;
					}
					gather_strbuf_addc(&b, text[i++]);
				}
			}
			if (c == '"' && i >= len && !s.unterminated)
				s.unterminated = tline;
			i++;
			gather_strbuf_addc(&b, '\0');
			tok_shift(t, TOK_STR, b.p, tline, start, i);
			b.p = NULL;
		} else if (c == '$' && i + 1 < len && text[i + 1] == '{' &&
		           memchr(text + i, '}', len - i)) {
			/* A bare ${VAR}: libconfuse takes it as a whole value. */
			size_t start = i;
			i = expand_var(&s, text, len, i, line, &b, &err);
			gather_strbuf_addc(&b, '\0');
			tok_shift(t, TOK_STR, b.p, tline, start, i);
			b.p = NULL;
		} else if (is_bare(c)) {
			size_t j = i;
			while (j < len && is_bare(text[j]))
				j++;
			tok_shift(t, TOK_STR, strndup(text + i, j - i), tline, i, j);
			i = j;
		} else {
			if (c == '{') {
				bool untitled = depth == 0 && t[1].kind == TOK_STR && t[1].s &&
				                strcmp(t[1].s, "job") == 0 &&
				                !(t[0].kind == TOK_PUNCT && text[t[0].start] == '=');
				if (untitled || (depth == 0 && t[0].kind == TOK_STR && t[0].s &&
				                 strcmp(t[0].s, "job") == 0 && t[1].kind == TOK_STR && t[1].s)) {
					size_t *r = (s.njobs & (s.njobs - 1)) == 0 ?
						realloc(range, 2 * (s.njobs ? 2 * s.njobs : 1) * sizeof *r) : range;
					if (!r) {
						err = GATHER_E_NOMEM;
						break;
					}
					range = r;
					/* `job {` without a name: a mark all the same (with an
					 * empty name, a fault), so that marks and sections stay
					 * in step */
					r[2 * s.njobs] = untitled ? t[1].end : t[1].start;
					r[2 * s.njobs + 1] = t[1].end;
					err = untitled ? push_mark(&s.jobs, &s.njobs, "", 0, t[1].line)
					               : push_mark(&s.jobs, &s.njobs, t[1].s, strlen(t[1].s), t[0].line);
					if (!err)  /* in text; retitle() moves it */
						s.jobs[s.njobs - 1].off = untitled ? t[1].start : t[0].start;
				}
				depth++;
			} else if (c == '}' && depth > 0) {
				depth--;
			}
			tok_shift(t, TOK_PUNCT, NULL, tline, i, i + 1);
			i++;
		}
		if (b.oom)
			err = GATHER_E_NOMEM;
		free(b.p);
	}
	free(t[0].s);
	free(t[1].s);
	if (err == 0 && s.njobs)
		err = retitle(&s, range);
	free(range);
	if (err < 0) {
		job_scan_free(&s);
		return err;
	}
	*ret = s;
	return 0;
}

static void free_marks(struct job_scan_mark *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

void job_scan_free(struct job_scan *s)
{
	if (!s)
		return;
	free(s->text);
	free_marks(s->jobs, s->njobs);
	free_marks(s->undef, s->nundef);
	memset(s, 0, sizeof *s);
}
