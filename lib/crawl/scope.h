/* scope.h — which URLs a crawl follows: --scope host|domain|prefix|any
 * relative to the seeds, --allow / --deny PCRE2 lists on the normalized URL,
 * and --max-url-length.
 *
 * (The type is gather_scope_rules because options.h already owns the tag
 * gather_scope for the enum.)
 *
 * Threads: gather_scope_rules_check is safe from any number of threads at
 * once (per-call match data; seeds under a read-write lock), also while
 * one thread adds seeds, so workers may filter links. */
#ifndef GATHER_SCOPE_H
#define GATHER_SCOPE_H

#include <stddef.h>

#include "gather/options.h"

struct gather_scope_rules;

/* Rules from o->scope, o->allow, o->deny, o->max_url_len (o is not kept).
 * Every regex is compiled once here; a bad one gives NULL with a message
 * naming the option and the pattern in err.  NULL with err filled on OOM. */
struct gather_scope_rules *gather_scope_rules_new(const struct gather_opts *o,
                                                  char *err, size_t errlen);
void gather_scope_rules_free(struct gather_scope_rules *s);   /* accepts NULL */

/* Declare a seed (a normalized http(s) URL): its host, registrable domain
 * or directory joins the scope.  0, GATHER_E_BAD_URL or GATHER_E_NOMEM. */
int gather_scope_rules_add_seed(struct gather_scope_rules *s, const char *url);

/* 0 if url (normalized) is to be followed, else GATHER_E_SCOPE.  A URL
 * longer than max_url_len, or denied, or not allowed, is out of scope. */
int gather_scope_rules_check(const struct gather_scope_rules *s, const char *url);

#endif
