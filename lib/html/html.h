/* html.h — the CPU-heavy part of processing a page, run on worker threads:
 * libxml2 HTML parse, link extraction, XPath and PCRE2 fields, SHA-256.
 *
 * An extractor is built once (on any thread) from the options and is then
 * read-only: any number of workers may use it at once. */
#ifndef GATHER_HTML_H
#define GATHER_HTML_H

#include <stddef.h>

#include "gather/options.h"
#include "gather/result.h"

struct gather_extractor;

/* Compile o->extract (NAME=XPATH / NAME[]=XPATH) and o->regex (NAME=RE);
 * takes o->assets and o->max_links (0 keeps no links; they are still
 * counted).  Returns NULL with a message naming the bad spec in err on
 * failure: XPath that does not compile or cannot run (unknown function or
 * variable), PCRE2 that does not compile, a malformed spec, a field name
 * given twice.  Calls xmlInitParser(); o is not kept. */
struct gather_extractor *gather_extractor_new(const struct gather_opts *o,
                                              char *err, size_t errlen);
void gather_extractor_free(struct gather_extractor *x); /* accepts NULL */

/* From now on r->links come out normalized (gather_url_normalize's form,
 * made in one pass with the resolution: gather_url_resolve_norm), links
 * whose resolution does not normalize left out; n_links_found still counts
 * the distinct links as resolved, and max_links applies to those, as
 * before.  What a crawl wants.  Call before x is shared (it is then
 * read-only). */
void gather_extractor_normalize_links(struct gather_extractor *x);

/* From now on the page's robots directives are obeyed, as a polite crawler
 * does (wget2, Google): a link whose rel has the token nofollow (<a>,
 * <area>, <link>) is not taken, neither in r->links nor in
 * r->n_links_found (it is not a link to follow); a page with
 * <meta name="robots" content="..."> naming nofollow or none gives no links
 * at all, and one naming noindex or none sets r->noindex (tokens separated
 * by commas or spaces, ASCII case-insensitive).  Without this call they are
 * ignored and r->noindex stays false.  Call before x is shared. */
void gather_extractor_obey_robots_meta(struct gather_extractor *x);

/* Process r->body (HTML when the Content-Type or a sniff says so) with base
 * URL r->final_url (or r->url): fills r->title, r->links, r->n_links_found,
 * r->fields, r->sha256 and sets r->processed.  Never crashes on any input.
 * Returns 0, or a negative gather_err for a document that could not be
 * processed at all (r->processed still true, sha256 still set).
 *
 * Details: sha256 is set when a response arrived (status > 0) or there is
 * a body.  fields is NULL without specs, else an object with every name:
 * XPath fields are null (first) / [] (all) without a match and null for a
 * body that is not HTML; regex fields run over any body (bytes; a match
 * that is not UTF-8 is read as Latin-1).  Pages nested deeper than
 * libxml2's 256 levels are cut there; start tags past 1000 attributes are
 * cut.  Prints nothing (libxml2's error handlers are swapped for the call).
 * Any thread; x is shared read-only. */
int gather_extract(const struct gather_extractor *x, struct gather_result *r);

#endif
