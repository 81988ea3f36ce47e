/* html.h — the CPU-heavy part of processing a page, run on worker threads:
 * libxml2 HTML parse, link extraction, XPath and PCRE2 fields, SHA-256.
 *
 * An extractor is built once (on any thread) from the options and is then
 * read-only: any number of workers may use it at once. */
#ifndef GATHER_HTML_H
#define GATHER_HTML_H

#include <stddef.h>

#include "options.h"
#include "result.h"

struct gather_extractor;

/* Compile o->extract (NAME=XPATH / NAME[]=XPATH) and o->regex (NAME=RE);
 * takes o->assets and o->max_links.  Returns NULL with a message naming the
 * bad spec in err on failure. */
struct gather_extractor *gather_extractor_new(const struct gather_opts *o,
                                              char *err, size_t errlen);
void gather_extractor_free(struct gather_extractor *x); /* accepts NULL */

/* Process r->body (HTML when the Content-Type or a sniff says so) with base
 * URL r->final_url (or r->url): fills r->title, r->links, r->n_links_found,
 * r->fields, r->sha256 and sets r->processed.  Never crashes on any input.
 * Returns 0, or a negative gather_err for a document that could not be
 * processed at all (r->processed still true, sha256 still set). */
int gather_extract(const struct gather_extractor *x, struct gather_result *r);

#endif
