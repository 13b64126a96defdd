/*
 * test_fence.c - reading fence agents' metadata and status answers.
 */
#include <stdio.h>

#include "fence.h"
#include "tap.h"

static const char meta_full[] =
    "<?xml version=\"1.0\" ?>\n"
    "<resource-agent name=\"fence_x\" >\n"
    "<parameters><parameter name=\"action\" /></parameters>\n"
    "<actions>\n"
    "\t<action name=\"on\" automatic=\"0\"/>\n"
    "\t<action name=\"off\" />\n"
    "\t<action name=\"status\" />\n"
    "</actions>\n"
    "</resource-agent>\n";

static const char meta_nostatus[] =
    "<resource-agent name=\"fence_x\">\n"
    "<parameters><parameter name=\"status\" /></parameters>\n"
    "<actions>\n"
    "\t<action name=\"off\" />\n"
    "\t<action name=\"list-status\" />\n"
    "\t<action name=\"statuses\" />\n"
    "</actions>\n"
    "</resource-agent>\n";

int
main(void)
{
	ok(fence_meta_has_status(meta_full), "metadata with a status action");
	ok(fence_meta_has_status("<action name='status'/>"),
	    "single quotes");
	ok(fence_meta_has_status("<action\n  name = \"status\" "
	    "timeout=\"20\"/>"), "spaces and new lines in the tag");
	ok(!fence_meta_has_status(meta_nostatus),
	    "no status action (a parameter named status, list-status, "
	    "statuses do not count)");
	ok(!fence_meta_has_status(NULL), "no metadata");
	ok(!fence_meta_has_status(""), "empty metadata");
	ok(!fence_meta_has_status("garbage <action name=\"status"),
	    "an unterminated tag");
	ok(!fence_meta_has_status("<action myname=\"status\"/>"),
	    "another attribute ending in name");
	ok(!fence_meta_has_status("<actions name=\"status\">"),
	    "<actions> is not an action");
	ok(fence_status_power(0) == FENCE_POWER_ON, "status exit 0: on");
	ok(fence_status_power(2) == FENCE_POWER_OFF, "status exit 2: off");
	ok(fence_status_power(1) == FENCE_POWER_UNKNOWN,
	    "status exit 1: error");
	ok(fence_status_power(-1) == FENCE_POWER_UNKNOWN, "killed: unknown");
	ok(fence_status_power(3) == FENCE_POWER_UNKNOWN, "exit 3: unknown");
	return done_testing();
}
