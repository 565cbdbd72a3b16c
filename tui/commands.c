/*
 * commands.c - the table of podium's subcommands (tmux's cmd_table): one
 * entry per tui/cmd_*.c, in the order `podium --help` lists them.
 */
#include "tui/tui.h"

#include <stddef.h>

extern const struct command cmd_get_entry;
extern const struct command cmd_describe_entry;
extern const struct command cmd_apply_entry;
extern const struct command cmd_delete_entry;
extern const struct command cmd_scale_entry;
extern const struct command cmd_events_entry;
extern const struct command cmd_logs_entry;
extern const struct command cmd_rollout_entry;
extern const struct command cmd_deploy_entry;
extern const struct command cmd_build_entry;
extern const struct command cmd_model_entry;
extern const struct command cmd_serve_entry;
extern const struct command cmd_sim_entry;
extern const struct command cmd_dashboard_entry;
extern const struct command cmd_version_entry;

const struct command *const commands[] = {
	&cmd_get_entry,
	&cmd_describe_entry,
	&cmd_apply_entry,
	&cmd_delete_entry,
	&cmd_scale_entry,
	&cmd_events_entry,
	&cmd_logs_entry,
	&cmd_rollout_entry,
	&cmd_deploy_entry,
	&cmd_build_entry,
	&cmd_model_entry,
	&cmd_serve_entry,
	&cmd_sim_entry,
	&cmd_dashboard_entry,
	&cmd_version_entry,
	NULL,
};
