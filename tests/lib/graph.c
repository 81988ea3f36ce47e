/* graph.c — see graph.h. */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"

struct graph *graph_random(unsigned seed, size_t n, size_t hosts, size_t maxdeg)
{
	struct graph *g = calloc(1, sizeof *g);
	g->n = n;
	g->url = calloc(n, sizeof *g->url);
	g->adj = calloc(n, sizeof *g->adj);
	g->nadj = calloc(n, sizeof *g->nadj);
	srand(seed);
	for (size_t i = 0; i < n; i++) {
		char b[64];
		snprintf(b, sizeof b, "http://h%zu.example/p%zu", i % hosts, i);
		g->url[i] = strdup(b);
		g->nadj[i] = (size_t)rand() % (maxdeg + 1);
		g->adj[i] = calloc(g->nadj[i] + 1, sizeof **g->adj);
		for (size_t k = 0; k < g->nadj[i]; k++)
			g->adj[i][k] = (size_t)rand() % n;
	}
	return g;
}

void graph_free(struct graph *g)
{
	for (size_t i = 0; i < g->n; i++) {
		free(g->url[i]);
		free(g->adj[i]);
	}
	free(g->url);
	free(g->adj);
	free(g->nadj);
	free(g);
}

size_t graph_node_of(const struct graph *g, const char *url)
{
	const char *p = strrchr(url, 'p');
	size_t i = (size_t)strtoul(p + 1, NULL, 10);
	ck_assert_str_eq(g->url[i], url);
	return i;
}

size_t *graph_bfs(const struct graph *g, const size_t *seeds, size_t nseeds)
{
	size_t *dist = malloc(g->n * sizeof *dist), *q = malloc(g->n * sizeof *q);
	size_t qh = 0, qt = 0;
	for (size_t i = 0; i < g->n; i++)
		dist[i] = SIZE_MAX;
	for (size_t s = 0; s < nseeds; s++)
		if (dist[seeds[s]] == SIZE_MAX) {
			dist[seeds[s]] = 0;
			q[qt++] = seeds[s];
		}
	while (qh < qt) {
		size_t u = q[qh++];
		for (size_t k = 0; k < g->nadj[u]; k++)
			if (dist[g->adj[u][k]] == SIZE_MAX) {
				dist[g->adj[u][k]] = dist[u] + 1;
				q[qt++] = g->adj[u][k];
			}
	}
	free(q);
	return dist;
}
