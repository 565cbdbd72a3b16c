/*
 * yamldoc.c - the small YAML files the dashboard reads itself (config.yaml,
 * themes, state.yaml): one document loaded with libyaml, its scalars read,
 * and every fault worded SOURCE:LINE:COLUMN: what, so each file's parser
 * only says what it expects.
 */
#include "tui/tui.h"

#include <stdio.h>
#include <string.h>

int yamldoc_load(struct yamldoc *y, const char *text, size_t n, const char *source, struct perr *e)
{
	memset(y, 0, sizeof *y);
	y->source = source;
	y->e = e;
	if (!yaml_parser_initialize(&y->parser)) {
		perr_set(e, "%s: cannot start the YAML parser", source);
		return -1;
	}
	yaml_parser_set_input_string(&y->parser, (const unsigned char *)text, n);
	if (!yaml_parser_load(&y->parser, &y->store)) {
		perr_set(e, "%s:%zu:%zu: %s", source, y->parser.problem_mark.line + 1,
			 y->parser.problem_mark.column + 1,
			 y->parser.problem ? y->parser.problem : "invalid YAML");
		yaml_parser_delete(&y->parser);
		return -1;
	}
	y->doc = &y->store;
	return 0;
}

void yamldoc_free(struct yamldoc *y)
{
	if (!y || !y->doc)
		return;
	yaml_document_delete(y->doc);
	yaml_parser_delete(&y->parser);
	y->doc = NULL;
}

int yamldoc_fail(struct yamldoc *y, yaml_node_t *n, const char *msg, const char *what)
{
	perr_set(y->e, "%s:%zu:%zu: %s%s", y->source, n ? n->start_mark.line + 1 : 0,
		 n ? n->start_mark.column + 1 : 0, msg, what ? what : "");
	return -1;
}

const char *yamldoc_scalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}
