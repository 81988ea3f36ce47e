/* graph.h — synthetic link graphs for the frontier tests (no network):
 * n pages "http://h<i % hosts>.example/p<i>", each with up to maxdeg links
 * to random pages, and their BFS distances. */
#ifndef GATHER_TEST_GRAPH_H
#define GATHER_TEST_GRAPH_H

#include <stddef.h>

struct graph {
	size_t n;
	char **url;
	size_t **adj;       /* adjacency: node indexes */
	size_t *nadj;
};

/* A random graph (srand(seed): the test's rand() goes on from there). */
struct graph *graph_random(unsigned seed, size_t n, size_t hosts, size_t maxdeg);
void graph_free(struct graph *g);
/* The node of url (ck_assert that it is one). */
size_t graph_node_of(const struct graph *g, const char *url);
/* BFS distances from the seeds (malloc'ed), SIZE_MAX if unreachable. */
size_t *graph_bfs(const struct graph *g, const size_t *seeds, size_t nseeds);

#endif
