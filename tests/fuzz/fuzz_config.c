/* fuzz_config.c - configuration and state files: any bytes give a
 * configuration (or the defaults and one error line), and a state. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tui/tui.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config c;
	struct perr e = {{0}};
	if (config_parse((const char *)data, size, "fuzz", &c, &e) < 0) {
		if (!e.msg[0] || strchr(e.msg, '\n') || c.refresh_ms != 100 ||
		    c.keys.n)
			__builtin_trap();
	} else {
		if (c.refresh_ms < 10 || c.tick_ms < 100 || c.log_lines < 100 ||
		    c.keys.n > KEYMAP_MAX)
			__builtin_trap();
		/* every override resolves to its action in its scopes */
		for (int i = 0; i < c.keys.n; i++)
			if (keys_lookup(
				    &c.keys, c.keys.b[i].key,
				    keys_action_scopes(c.keys.b[i].action)) !=
			    c.keys.b[i].action)
				__builtin_trap();
	}
	static struct dash_state st;
	perr_clear(&e);
	if (state_parse((const char *)data, size, "fuzz", &st, &e) == 0 &&
	    (st.n < 0 || st.n > STATE_MAX_CONTEXTS))
		__builtin_trap();
	return 0;
}
