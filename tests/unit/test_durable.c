/*
 * test_durable.c - files replaced by durable.c's writer thread: the latest
 * content wins, removal, no temporary file left, failures counted.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "durable.h"
#include "loop.h"
#include "tap.h"
#include "util.h"
#include "slurp.h"

int
main(void)
{
	char	 dir[] = "/tmp/test_durable.XXXXXX", *path, *tmp, *bad, *s;

	if (mkdtemp(dir) == NULL)
		return 1;
	path = xasprintf("%s/node-admin", dir);
	tmp = xasprintf("%s.tmp", path);
	bad = xasprintf("%s/no-such-dir/node-admin", dir);
	loop_init();

	durable_replace(path, "stopped\n");
	is_int(durable_flush(), 0, "a write: no failure");
	s = slurp(path);
	is_str(s ? s : "(none)", "stopped\n", "the file holds it");
	free(s);
	ok(access(tmp, F_OK) == -1 && errno == ENOENT,
	    "no temporary file left");

	durable_replace(path, "paused\n");
	durable_replace(path, "drained\n");
	durable_replace(path, "paused\n");
	is_int(durable_flush(), 0, "three writes in a row: no failure");
	s = slurp(path);
	is_str(s ? s : "(none)", "paused\n", "the latest one wins");
	free(s);

	durable_replace(path, NULL);
	is_int(durable_flush(), 0, "a removal: no failure");
	ok(access(path, F_OK) == -1 && errno == ENOENT, "the file is gone");
	durable_replace(path, NULL);
	is_int(durable_flush(), 0, "removing a missing file is no failure");

	durable_replace(bad, "stopped\n");
	durable_replace(path, "drained\n");
	is_int(durable_flush(), 1,
	    "a directory that does not exist: one failure, counted");
	s = slurp(path);
	is_str(s ? s : "(none)", "drained\n",
	    "and the other file is written all the same");
	free(s);

	unlink(path);
	rmdir(dir);
	free(path);
	free(tmp);
	free(bad);
	return done_testing();
}
