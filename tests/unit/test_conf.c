/*
 * test_conf.c - unit tests of the configuration parser (conf.c): good
 * files, every kind of bad one with its exact "file:line: message", the
 * start order, defaults, the hash, the print/re-parse round trip, and that
 * man/pgha.conf.5 documents every key of the table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "conf_keys.h"
#include "tap.h"
#include "util.h"

#define NODE1	"[node n1]\nnodeid = 1\n"
#define PRE	NODE1 "[group g]\n"		/* three lines */

static char	*errbuf;

/*
 * The cases below are about other keys than fencing: a text with groups
 * that says nothing of fencing gets "fencing = no" appended (after its
 * last line, so line numbers hold), and that warning is dropped from
 * errbuf.  load_raw() parses the text as it is.
 */
#define NOFENCE		"\n[cluster]\nfencing = no\n"
#define NOFENCE_WARN	"warning: [cluster] fencing = no:"

static struct conf *
load_raw(const char *text, size_t len)
{
	size_t		 n = 0;
	FILE		*f;
	struct conf	*c;

	free(errbuf);
	errbuf = NULL;
	if ((f = open_memstream(&errbuf, &n)) == NULL)
		abort();
	c = conf_load_buf("t.conf", text, len, f);
	fclose(f);
	return c;
}

static struct conf *
load(const char *text, size_t len)
{
	struct conf	*c;
	char		*buf, *w, *eol;

	if (memmem(text, len, "[group", 6) == NULL ||
	    memmem(text, len, "[cluster]", 9) != NULL ||
	    memmem(text, len, "fence", 5) != NULL)
		return load_raw(text, len);
	buf = xcalloc(1, len + sizeof(NOFENCE));
	memcpy(buf, text, len);
	memcpy(buf + len, NOFENCE, sizeof(NOFENCE));
	c = load_raw(buf, len + sizeof(NOFENCE) - 1);
	free(buf);
	/* drop the one warning line it causes */
	if ((w = strstr(errbuf, NOFENCE_WARN)) != NULL) {
		while (w > errbuf && w[-1] != '\n')
			w--;
		eol = strchr(w, '\n');
		memmove(w, eol ? eol + 1 : w + strlen(w),
		    strlen(eol ? eol + 1 : w + strlen(w)) + 1);
	}
	return c;
}

static struct conf *
loads(const char *text)
{
	return load(text, strlen(text));
}

static char *
print_str(const struct conf *c)
{
	char	*buf = NULL;
	size_t	 n = 0;
	FILE	*f = open_memstream(&buf, &n);

	if (f == NULL)
		abort();
	conf_print(f, c);
	fclose(f);
	return buf;
}

/* text must be rejected with exactly these messages. */
static void
bad(const char *text, const char *want, const char *what)
{
	struct conf	*c = loads(text);

	ok(c == NULL, "rejected: %s", what);
	is_str(errbuf, want, "message: %s", what);
	conf_free(c);
}

static const char *const bad_cases[][3] = {
	{ PRE "[resource db1-pg]\ngroup = g\ntype = postgresql\n"
	    "data = /m/d\nport = 70000\n" "[resource dk]\ngroup = g\ntype = disk\ndevice = /dev/a\n"
	    "mountpoint = /m\nfstype = ext4\n",
	  "t.conf:8: [resource db1-pg] port: \"70000\" is not a port number "
	  "(1-65535)\n", "port out of range" },
	{ PRE "[resource db1-disk]\ngroup = g\ntype = disk\n"
	    "mountpoint = /m\nfstype = ext4\n",
	  "t.conf:4: [resource db1-disk] (type disk) lacks required key "
	  "\"device\"\n", "missing type-specific key" },
	{ PRE "[resource r]\ngroup = g\ntype = postgresql\ndata = /m/d\n"
	    "device = /dev/x\n" "[resource dk]\ngroup = g\ntype = disk\ndevice = /dev/a\n"
	    "mountpoint = /m\nfstype = ext4\n",
	  "t.conf:8: [resource r] key \"device\" is not valid for type "
	  "postgresql (it belongs to type disk)\n", "key of another type" },
	{ NODE1 "[foo bar]\nx = y\n",
	  "t.conf:3: unknown section kind \"foo\" (cluster, node, group or "
	  "resource)\n", "unknown section kind" },
	{ NODE1 "[node n1]\nnodeid = 2\n",
	  "t.conf:3: [node n1] duplicate section (first at line 1)\n",
	  "duplicate section" },
	{ NODE1 "nodeid = 2\n",
	  "t.conf:3: [node n1] duplicate key \"nodeid\" (first at line 2)\n",
	  "duplicate key" },
	{ "nodeid = 1\n" NODE1,
	  "t.conf:1: key \"nodeid\" outside of a section\n",
	  "key outside a section" },
	{ "[node n1]\nnodeid =\n",
	  "t.conf:2: [node n1] nodeid: empty value\n", "empty value" },
	{ "[node -x]\n" NODE1,
	  "t.conf:1: [node] \"-x\" is not a valid name (letters, digits, "
	  "\"_\", \".\", \"-\", at most 63, starting with a letter or "
	  "digit)\n", "invalid section name" },
	{ "[node n1]\nnodeid 1\n",
	  "t.conf:1: [node n1] lacks required key \"nodeid\"\n"
	  "t.conf:2: syntax error: expected \"[section]\", \"key = value\" "
	  "or \"# comment\"\n", "syntax error, errors sorted by line" },
	{ "[node a]\nnodeid = 1\n[node b]\nnodeid = 1\n",
	  "t.conf:4: [node b] nodeid: \"1\" is already used by [node a]\n",
	  "duplicate nodeid" },
	{ "[node a]\nnodeid = 0\n",
	  "t.conf:2: [node a] nodeid: \"0\" is not an integer (1-65535)\n",
	  "nodeid 0" },
	{ "# nothing\n",
	  "t.conf:1: no [node] section: at least one node is required\n",
	  "no node" },
	{ NODE1 "[group g]\npreferred_owners = n1 n2 n1\n",
	  "t.conf:4: [group g] preferred_owners: \"n1\" is listed twice\n"
	  "t.conf:4: [group g] preferred_owners: no node \"n2\"\n",
	  "preferred_owners: unknown and twice" },
	{ NODE1 "[node n2]\nnodeid = 2\n[group g]\n"
	    "possible_owners = n1\npreferred_owners = n2 n1\n",
	  "t.conf:7: [group g] preferred_owners: n2 is not one of its "
	  "possible_owners: add it there, or remove it here\n",
	  "preferred owner outside possible_owners" },
	{ PRE "possible_owners =\n",
	  "t.conf:4: [group g] possible_owners: empty value\n",
	  "possible_owners: empty" },
	{ "[node n1]\nnodeid = 1\nfence_agent = /usr/sbin/fence_x\n"
	    "[node n2]\nnodeid = 2\n[node n3]\nnodeid = 3\n"
	    "[group g]\npossible_owners = n1 n3\n",
	  "t.conf:6: [node n3] has no fence_agent, but fencing is on (the "
	  "default) and it may run [group g]: if n3 were lost, its groups "
	  "would stay down until an operator ran pgha node confirm-down n3.  "
	  "Set fence_agent (and fence_options) for n3, or fencing = no in "
	  "[cluster] if something else makes sure a lost node has stopped\n",
	  "fencing: only a possible owner needs a fence_agent" },
	{ PRE "[resource d]\ngroup = g\ntype = disk\ndevice = /dev/a\n"
	    "mountpoint = /m\nfstype = xfs\nencrypt = yes\n",
	  "t.conf:10: [resource d] encrypt: fstype xfs has no file-system "
	  "encryption (use ext4 or f2fs)\n", "encrypt on xfs" },
	{ PRE "[resource d]\ngroup = g\ntype = disk\ndevice = /dev/a\n"
	    "mountpoint = /m/\nfstype = ext4\nencrypt = yes\n"
	    "keystore = /m/pgha/ks\n",
	  "t.conf:11: [resource d] keystore: \"/m/pgha/ks\" is on the "
	  "shared disk of [resource d] (/m): keep it on each node's local "
	  "disk\n", "keystore on the disk itself" },
	{ PRE "[resource d]\ngroup = g\ntype = disk\ndevice = /dev/a\n"
	    "mountpoint = /m\nfstype = ext4\nencrypt = yes\n"
	    "keystore = /mnt/ks\nencrypted_dirs = data/../x\n",
	  "t.conf:12: [resource d] encrypted_dirs: \"data/../x\" is not a "
	  "list of directories relative to the mount point (no leading "
	  "\"/\", no \".\" or \"..\" parts)\n",
	  "encrypted_dirs with .., keystore /mnt is not below /m" },
	{ PRE "[resource d]\ngroup = g\ntype = disk\ndevice = /dev/a\n"
	    "mountpoint = /m\nfstype = ext4\nencrypted_dirs = wal wal/x\n",
	  "t.conf:10: [resource d] encrypted_dirs: \"wal wal/x\" names a "
	  "directory twice, or one inside another\n",
	  "encrypted_dirs nested (checked with encrypt = no too)" },
	{ PRE "autostart = maybe\n",
	  "t.conf:4: [group g] autostart: \"maybe\" is not yes or no\n",
	  "bad boolean" },
	{ PRE "[group h]\n[resource a]\ngroup = g\ntype = disk\n"
	    "device = /dev/a\nmountpoint = /a\nfstype = ext4\n"
	    "requires = a x b b\n"
	    "[resource b]\ngroup = h\ntype = disk\ndevice = /dev/b\n"
	    "mountpoint = /b\nfstype = ext4\n",
	  "t.conf:11: [resource a] requires: \"b\" is listed twice\n"
	  "t.conf:11: [resource a] requires: \"a\" is the resource itself\n"
	  "t.conf:11: [resource a] requires: no resource \"x\"\n"
	  "t.conf:11: [resource a] requires: \"b\" is in group h, not g\n",
	  "requires: self, unknown, twice, other group" },
	{ PRE "[resource a]\ngroup = g\ntype = address\n"
	    "address = 198.18.0.1/24\nrequires = b\n"
	    "[resource b]\ngroup = g\ntype = address\n"
	    "address = 198.18.0.2/24\nrequires = c\n"
	    "[resource c]\ngroup = g\ntype = address\n"
	    "address = 198.18.0.3/24\nrequires = a\n",
	  "t.conf:4: [resource a] cycle in requires: a -> b -> c -> a\n",
	  "cycle of three" },
	{ PRE "[resource b]\ngroup = g\ntype = address\n"
	    "address = 198.18.0.2/24\nrequires = a\n"
	    "[resource a]\ngroup = g\ntype = address\n"
	    "address = 198.18.0.1/24\nrequires = b\n",
	  "t.conf:4: [resource b] cycle in requires: b -> a -> b\n",
	  "cycle of two" },
	{ PRE "[resource a]\ngroup = x\ntype = address\n"
	    "address = 198.18.0.1/24\n"
	    "[resource b]\ngroup = g\ntype = address\n"
	    "address = 198.18.0.2/24\nrequires = a\n",
	  "t.conf:5: [resource a] group: no group \"x\"\n",
	  "requires of a resource without a group (found by fuzzing)" },
	{ PRE "[resource a]\ngroup = g\ntype = postgresql\ndata = /m/d\n"
	    "[resource b]\ngroup = g\ntype = postgresql\ndata = /m/d\n"
	    "port = 5433\n" "[resource dk]\ngroup = g\ntype = disk\ndevice = /dev/a\n"
	    "mountpoint = /m\nfstype = ext4\n",
	  "t.conf:11: [resource b] data: \"/m/d\" is already used by "
	  "[resource a]\n", "same data directory twice" },
	{ PRE "[resource a]\ngroup = g\ntype = address\n"
	    "address = 198.18.0.1/24\n"
	    "[resource b]\ngroup = g\ntype = address\n"
	    "address = 198.18.0.1/16\n",
	  "t.conf:11: [resource b] address: \"198.18.0.1/16\" is already "
	  "used by [resource a]\n", "same address twice" },
	{ PRE "[resource a]\ngroup = g\ntype = disk\ndevice = /dev/a\n"
	    "mountpoint = /m\nfstype = ext4\n"
	    "[resource b]\ngroup = g\ntype = disk\ndevice = /dev/a\n"
	    "mountpoint = /m\nfstype = xfs\n",
	  "t.conf:13: [resource b] device: \"/dev/a\" is already used by "
	  "[resource a]\n"
	  "t.conf:14: [resource b] mountpoint: \"/m\" is already used by "
	  "[resource a]\n", "same device and mount point twice" },
	{ PRE "[resource a]\ngroup = g\ntype = address\n"
	    "address = 198.18.0.1/24\nmonitor_interval = 50ms\n"
	    "start_timeout = 500ms\nstop_timeout = 2x\nrestarts = 101\n"
	    "arp_count = -1\n",
	  "t.conf:8: [resource a] monitor_interval: \"50ms\" is out of range "
	  "(100ms-24h)\n"
	  "t.conf:9: [resource a] start_timeout: \"500ms\" is out of range "
	  "(1s-24h)\n"
	  "t.conf:10: [resource a] stop_timeout: \"2x\" is not a duration "
	  "(e.g. 500ms, 2s, 1m)\n"
	  "t.conf:11: [resource a] restarts: \"101\" is not an integer "
	  "(0-100)\n"
	  "t.conf:12: [resource a] arp_count: \"-1\" is not an integer "
	  "(0-20)\n", "durations and integers out of range" },
	{ PRE "[resource a]\ngroup = g\ntype = address\n"
	    "address = 198.18.0.1/33\n"
	    "[resource b]\ngroup = g\ntype = address\naddress = 198.18.0.1\n"
	    "[resource c]\ngroup = g\ntype = address\n"
	    "address = 300.1.1.1/24\ninterface = a/b\n",
	  "t.conf:7: [resource a] address: \"198.18.0.1/33\" is not an IPv4 "
	  "address with a prefix length (a.b.c.d/1-32)\n"
	  "t.conf:11: [resource b] address: \"198.18.0.1\" is not an IPv4 "
	  "address with a prefix length (a.b.c.d/1-32)\n"
	  "t.conf:15: [resource c] address: \"300.1.1.1/24\" is not an IPv4 "
	  "address with a prefix length (a.b.c.d/1-32)\n"
	  "t.conf:16: [resource c] interface: \"a/b\" is not an interface "
	  "name (at most 15 bytes, no \"/\", \":\" or blanks)\n",
	  "bad addresses" },
	{ PRE "[resource a]\ngroup = g\ntype = disk\ndevice = dev/a\n"
	    "mountpoint = /m\nfstype = Ext4\n",
	  "t.conf:7: [resource a] device: \"dev/a\" is not an absolute "
	  "path\n"
	  "t.conf:9: [resource a] fstype: \"Ext4\" is not a file system type "
	  "([a-z0-9]+)\n", "bad path and fstype" },
	{ PRE "[resource a]\ngroup = h\ntype = foo\n"
	    "[resource b]\n",
	  "t.conf:5: [resource a] group: no group \"h\"\n"
	  "t.conf:6: [resource a] type: \"foo\" is not a resource type "
	  "(disk, address, postgresql, service or ocf:PROVIDER:AGENT)\n"
	  "t.conf:7: [resource b] lacks required key \"group\"\n"
	  "t.conf:7: [resource b] lacks required key \"type\"\n",
	  "bad group and type, missing both" },
	{ "[cluster]\nsocket = ctl\nstate_dir = var\nfoo = 1\n"
	    "[cluster]\n" NODE1,
	  "t.conf:2: [cluster] socket: \"ctl\" is not an absolute path to a "
	  "socket (at most 107 bytes)\n"
	  "t.conf:3: [cluster] state_dir: \"var\" is not an absolute path\n"
	  "t.conf:4: [cluster] unknown key \"foo\"\n"
	  "t.conf:5: [cluster] duplicate section (first at line 1)\n",
	  "bad [cluster]" },
	{ "[cluster x]\n[node]\n" NODE1 "[group g]\n[resource r]\n"
	    "group = g\ntype = disk\ndevice = /a\nmountpoint = /b\n"
	    "fstype = ext4\nflavour = mild\n",
	  "t.conf:1: [cluster] takes no name\n"
	  "t.conf:2: [node] needs a name\n"
	  "t.conf:12: [resource r] unknown key \"flavour\"\n",
	  "section headers and unknown resource key" },
	{ NODE1 "= 3\n[node n2]\n\tnodeid\t=\t2 \r\n",
	  "t.conf:3: syntax error: no key before \"=\"\n"
	  "t.conf:4: [node n2] lacks required key \"nodeid\"\n"
	  "t.conf:5: control character 0x0d in line\n",
	  "no key, carriage return" },
	{ "[node n1]\nnodeid = 1\nfence_agent = fence_ipmilan\n"
	    "fence_options = ip=1.2.3.4 =x\nfence_timeout = 0s\n",
	  "t.conf:3: [node n1] fence_agent: \"fence_ipmilan\" is not an "
	  "absolute path\n"
	  "t.conf:4: [node n1] fence_options: \"ip=1.2.3.4 =x\" is not a list "
	  "of key=value pairs (keys [a-z0-9_-]+, no blanks in values)\n"
	  "t.conf:5: [node n1] fence_timeout: \"0s\" is out of range "
	  "(1s-24h)\n",
	  "fencing keys" },
};

static void
test_bad(void)
{
	size_t	i;

	for (i = 0; i < nitems(bad_cases); i++)
		bad(bad_cases[i][0], bad_cases[i][1], bad_cases[i][2]);
}

static void
test_too_many_nodes(void)
{
	char	*buf = NULL, want[128];
	size_t	 n = 0;
	FILE	*f = open_memstream(&buf, &n);
	int	 i;
	struct conf *c;

	for (i = 1; i <= CONF_MAX_NODES + 1; i++)
		fprintf(f, "[node n%d]\nnodeid = %d\n", i, i);
	fclose(f);
	c = loads(buf);
	ok(c == NULL, "33 nodes rejected");
	snprintf(want, sizeof(want), "t.conf:%d: [node n%d] too many nodes "
	    "(at most %d)\n", 2 * CONF_MAX_NODES + 1, CONF_MAX_NODES + 1,
	    CONF_MAX_NODES);
	is_str(errbuf, want, "too-many-nodes message");
	buf[strlen(buf) - strlen("[node n33]\nnodeid = 33\n")] = '\0';
	c = loads(buf);
	ok(c != NULL && c->nnodes == CONF_MAX_NODES, "32 nodes accepted");
	conf_free(c);
	free(buf);
}

static const char good[] =
    "# a comment\n"
    "  # an indented comment\n"
    "\n"
    "[node node1]\n"
    "nodeid = 7\n"
    "[node node2]\n"
    "nodeid = 65535\n"
    "[group db1]\n"
    "preferred_owners = node2 node1\n"
    "[group empty]\n"
    "autostart = no\n"
    "[resource db1-pg]\n"
    "group = db1\n"
    "type = postgresql\n"
    "requires = db1-ip db1-disk\n"
    "data = /srv/db1/data\n"
    "[resource db1-ip]\n"
    "group = db1\n"
    "type = address\n"
    "address = 198.18.0.100/24\n"
    "requires = db1-disk\n"
    "restarts = 2\n"
    "[resource db1-disk]\n"
    "group = db1\n"
    "type = disk\n"
    "device = /dev/loop0\n"
    "mountpoint = /srv/db1\n"
    "fstype = ext4\n"
    "monitor_interval = 1500ms\n"
    "stop_timeout = 2m\n"
    "[resource db1-extra]\n"
    "group = db1\n"
    "type = address\n"
    "address = 198.18.0.101/24\n";

static void
test_good_tree(const struct conf *c)
{
	const struct conf_resource	*pg, *ip, *disk;
	const struct conf_group		*g;

	is_str(c->cluster_name, "pgha", "default cluster name");
	is_str(c->socket, "/run/pgha/pgha.sock", "default socket");
	ok(c->admin_group == NULL && c->agent_path == NULL,
	    "unset admin_group and agent_path");
	is_str(c->state_dir, "/var/lib/pgha", "default state_dir");
	is_int(c->nnodes, 2, "two nodes");
	ok(conf_node_by_id(c, 65535) == &c->nodes[1], "node by id");
	ok(conf_node_by_name(c, "nope") == NULL, "unknown node name");
	g = conf_group_by_name(c, "db1");
	ok(g && g->npreferred == 2 && g->preferred[0] == &c->nodes[1] &&
	    g->preferred[1] == &c->nodes[0], "preferred owners in order");
	ok(g && g->autostart, "autostart defaults to yes");
	ok(!c->groups[1].autostart && c->groups[1].nres == 0,
	    "empty group allowed, autostart no");
	pg = conf_resource_by_name(c, "db1-pg");
	ip = conf_resource_by_name(c, "db1-ip");
	disk = conf_resource_by_name(c, "db1-disk");
	if (!ok(pg && ip && disk && g, "resources found"))
		return;
	ok(g->nres == 4 && g->res[0] == disk && g->res[1] == ip &&
	    g->res[2] == pg && g->res[3] == &c->resources[3],
	    "start order: disk, ip, pg, then the rest in file order");
	ok(pg->nrequires == 2 && pg->requires[0] == ip &&
	    pg->requires[1] == disk, "requires kept as given");
	is_int(pg->monitor_interval_ms, 500, "postgresql monitor_interval");
	is_int(pg->start_timeout_ms, 120000, "postgresql start_timeout");
	is_int(ip->monitor_timeout_ms, 5000, "address monitor_timeout");
	is_int(ip->restarts, 2, "restarts");
	is_int(pg->restarts, 0, "restarts default");
	is_int(disk->monitor_interval_ms, 1500, "given monitor_interval");
	is_int(disk->stop_timeout_ms, 120000, "given stop_timeout");
	is_int(disk->start_timeout_ms, 60000, "disk start_timeout");
	is_str(conf_param(pg, "logfile"), "/srv/db1/data/pgha-server.log",
	    "logfile derived from data");
	is_str(conf_param(pg, "port"), "5432", "port default");
	is_str(conf_param(pg, "bindir"), "",
	    "bindir unset: found from PG_VERSION by the agent");
	is_str(conf_param(ip, "interface"), "", "interface default");
	is_str(conf_param(ip, "arp_count"), "3", "arp_count default");
	is_str(conf_param(disk, "options"), "", "options default");
	is_str(conf_param(disk, "encrypt"), "no", "encrypt default");
	is_str(conf_param(disk, "keystore"), "/etc/pgha/keystore",
	    "keystore default");
	is_str(conf_param(disk, "encrypted_dirs"), "data",
	    "encrypted_dirs default");
	ok(conf_param(disk, "data") == NULL, "no foreign params");
	ok(pg->nparams == 9 && strcmp(pg->params[0].key, "data") == 0 &&
	    strcmp(pg->params[8].key, "logfile") == 0,
	    "params in table order");
	is_str(conf_param(pg, "config_dir"), "",
	    "config_dir unset: the data directory's");
	is_str(pg->type_name, "postgresql", "type name");
	ok(pg->group == g && pg->index == 0 && pg->line == 12,
	    "group, index, line");
}

static void
test_good(void)
{
	struct conf	*c = loads(good);

	if (!ok(c != NULL, "good file accepted"))
		diag("%s", errbuf);
	else
		test_good_tree(c);
	is_str(errbuf, "", "no messages for a good file");
	conf_free(c);
}

/*
 * print, re-parse, print: same text.  The printed form gives every key,
 * so it hashes as itself printed again (not as the original, which may
 * leave defaults out); the previous release's hash, of its canonical
 * text, stays.
 */
static void
roundtrip(const char *text, const char *what)
{
	struct conf	*a = loads(text), *b, *c;
	char		*pa, *pb;

	if (!ok(a != NULL, "round trip %s: parses", what))
		return;
	pa = print_str(a);
	b = loads(pa);
	if (ok(b != NULL, "round trip %s: printed form parses", what)) {
		pb = print_str(b);
		is_str(pb, pa, "round trip %s: same text", what);
		c = loads(pb);
		is_str(c ? c->hash : "", b->hash, "round trip %s: printed "
		    "form hashes as itself", what);
		is_str(b->hash_prev, a->hash_prev, "round trip %s: same "
		    "previous-release hash", what);
		conf_free(c);
		free(pb);
	}
	free(pa);
	conf_free(a);
	conf_free(b);
}

/* One postgresql group, bindir unset: what 7ef9114 hashed with its
 * "/usr/lib/postgresql/15/bin" default (sha256 of its pghad -nv). */
static const char	*hash_pg =
    "[cluster]\nfencing = no\n[node n1]\nnodeid = 1\n[node n2]\n"
    "nodeid = 2\n[group g]\npreferred_owners = n2 n1\n"
    "[resource g-disk]\ngroup = g\ntype = disk\ndevice = /dev/vdb\n"
    "mountpoint = /srv/g\nfstype = ext4\n[resource g-pg]\ngroup = g\n"
    "type = postgresql\ndata = /srv/g/data\nmonitor_interval = 1s\n"
    "requires = g-disk\n";
#define HASH_PG_PREV \
    "270eca222c15c98d22f55449a732d98ceefbed92c01b94550b9ab66c9ece1224"

static bool
hash_differs(const char *a, const char *b, const char *what)
{
	struct conf	*ca = loads(a), *cb = loads(b);
	bool		 r = ca && cb && strcmp(ca->hash, cb->hash) != 0;

	ok(r, "another hash: %s", what);
	conf_free(ca);
	conf_free(cb);
	return r;
}

/*
 * The hash is of the keys the file gives, as sorted normalised lines: so
 * it is the sha256 of exactly this text, whatever this version's defaults
 * (a default added or changed in a later release leaves it alone).
 */
static void
test_hash_given(void)
{
	const char	*want =
	    "pgha cluster file, keys given, v1\n"
	    "[cluster]\nfencing = no\n"
	    "[node n1]\nnodeid = 1\n[node n2]\nnodeid = 2\n"
	    "[group g]\npreferred_owners = n2 n1\n"
	    "[resource g-disk]\ndevice = /dev/vdb\nfstype = ext4\n"
	    "group = g\nmountpoint = /srv/g\ntype = disk\n"
	    "[resource g-pg]\ndata = /srv/g/data\ngroup = g\n"
	    "monitor_interval = 1s\nrequires = g-disk\ntype = postgresql\n";
	char		 h[65];
	struct conf	*c = loads(hash_pg);

	sha256_hex(want, strlen(want), h);
	if (ok(c != NULL, "hash_pg parses")) {
		is_str(c->hash, h, "hash: sha256 of the keys given, sorted, "
		    "no defaults");
		is_str(c->hash_prev, HASH_PG_PREV, "hash_prev: what 7ef9114 "
		    "computed for the same file (bindir default included)");
		ok(conf_hash_same(c, HASH_PG_PREV) &&
		    conf_hash_same(c, c->hash), "either is the same file");
		ok(!conf_hash_same(c, want), "another is not");
	}
	conf_free(c);
}

static void
test_hash(void)
{
	const char	*a = "[node n1]\nnodeid = 1\n[group g]\n"
			     "ban_timeout = 60s\nfailover_threshold = 3\n";
	const char	*b = "# other comments\n\n  [node  n1]  \n"
			     "\tnodeid=1\n\n# x\n[group g]\n"
			     "failover_threshold=3\nban_timeout = 1m\n";
	struct conf	*ca = loads(a), *cb = loads(b);

	if (ok(ca && cb, "hash inputs parse")) {
		is_int(strlen(ca->hash), 64, "hash is 64 hex chars");
		is_str(ca->hash, cb->hash, "comments, blanks, the order of "
		    "keys and a duration's unit do not change the hash");
	}
	conf_free(ca);
	conf_free(cb);
	hash_differs(a, "[node n1]\nnodeid = 2\n[group g]\n"
	    "ban_timeout = 60s\nfailover_threshold = 3\n", "a value");
	hash_differs(a, "[node n2]\nnodeid = 1\n[group g]\n"
	    "ban_timeout = 60s\nfailover_threshold = 3\n", "a name");
	hash_differs(a, "[node n1]\nnodeid = 1\n[group g]\n"
	    "ban_timeout = 60s\n", "a key left out");
	/* A later release may change the default: say what you mean. */
	hash_differs(a, "[node n1]\nnodeid = 1\n[group g]\n"
	    "ban_timeout = 60s\nfailover_threshold = 3\nautostart = yes\n",
	    "a key given with its default value");
	hash_differs(hash_pg, "[cluster]\nfencing = no\n[node n1]\n"
	    "nodeid = 1\n[node n2]\nnodeid = 2\n[group g]\n"
	    "preferred_owners = n1 n2\n[resource g-disk]\ngroup = g\n"
	    "type = disk\ndevice = /dev/vdb\nmountpoint = /srv/g\n"
	    "fstype = ext4\n[resource g-pg]\ngroup = g\ntype = postgresql\n"
	    "data = /srv/g/data\nmonitor_interval = 1s\nrequires = g-disk\n",
	    "the order of preferred owners");
	hash_differs(hash_pg, "[cluster]\nfencing = no\n[node n1]\n"
	    "nodeid = 1\n[node n2]\nnodeid = 2\n[group g]\n"
	    "preferred_owners = n2 n1\n[resource g-disk]\ngroup = g\n"
	    "type = disk\ndevice = /dev/vdb\nmountpoint = /srv/g\n"
	    "fstype = ext4\n[resource g-pg]\ngroup = g\ntype = postgresql\n"
	    "data = /srv/g/data\nmonitor_interval = 1s\nrequires = g-disk\n"
	    "bindir = /usr/lib/postgresql/15/bin\n",
	    "bindir given, even as the old default");
	test_hash_given();
}

static void
test_print(void)
{
	struct conf	*c = loads("[cluster]\nname = c1\n"
			    "agent_path = /usr/lib/pgha/pgha-agent\n"
			    "[node a]\nnodeid = 3\n"
			    "fence_agent = /usr/sbin/fence_x\n[group g]\n"
			    "[resource r]\ngroup = g\ntype = address\n"
			    "address = 198.18.0.9/32\n"
			    "monitor_interval = 3600000ms\n"
			    "monitor_timeout = 120s\n");
	char		*s;

	if (!ok(c != NULL, "print input parses"))
		return;
	s = print_str(c);
	is_str(s, "[cluster]\nname = c1\nsocket = /run/pgha/pgha.sock\n"
	    "state_dir = /var/lib/pgha\nagent_path = /usr/lib/pgha/pgha-agent\n"
	    "fencing = yes\n"
	    "\n[node a]\nnodeid = 3\nfence_agent = /usr/sbin/fence_x\n"
	    "fence_timeout = 1m\n"
	    "\n[group g]\nautostart = yes\nban_timeout = 10m\n"
	    "failover_threshold = auto\nfailover_period = 6h\n"
	    "failback = no\n"
	    "\n[resource r]\ngroup = g\ntype = address\n"
	    "monitor_interval = 1h\nmonitor_timeout = 2m\n"
	    "start_timeout = 10s\nstop_timeout = 10s\nrestarts = 0\n"
	    "restart_period = 15m\naddress = 198.18.0.9/32\narp_count = 3\n",
	    "canonical text: table order, largest units, empty values left "
	    "out");
	free(s);
	conf_free(c);
}

static void
test_garbage(void)
{
	static const char	nul[] = "[node n1]\nnodeid = 1\0\n";
	struct conf		*c;

	c = load(nul, sizeof(nul) - 1);
	ok(c == NULL, "embedded NUL rejected");
	is_str(errbuf, "t.conf:1: [node n1] lacks required key \"nodeid\"\n"
	    "t.conf:2: control character 0x00 in line\n",
	    "embedded NUL message");
	/* no final newline, and len cuts a longer string */
	c = load("[node n1]\nnodeid = 12345", 20);
	ok(c != NULL && c->nodes[0].nodeid == 1, "reads only len bytes");
	conf_free(c);
}

static void
test_file(void)
{
	char		 path[] = "/tmp/test_conf.XXXXXX";
	int		 fd = mkstemp(path);
	struct conf	*c;
	FILE		*f;
	size_t		 n = 0;

	if (fd == -1 || write(fd, good, strlen(good)) != (ssize_t)strlen(good)
	    || write(fd, NOFENCE, strlen(NOFENCE)) != (ssize_t)strlen(NOFENCE))
		abort();
	close(fd);
	c = conf_load(path, stderr);
	ok(c != NULL && c->nresources == 4 && strcmp(c->path, path) == 0,
	    "conf_load reads a file");
	conf_free(c);
	unlink(path);
	free(errbuf);
	errbuf = NULL;
	f = open_memstream(&errbuf, &n);
	c = conf_load(path, f);
	fclose(f);
	ok(c == NULL && strstr(errbuf, "No such file") != NULL,
	    "conf_load of a missing file: %s", errbuf);
	conf_free(NULL);
}

/*
 * conf_load of text in a file of this mode and owner: 1 if accepted, 0
 * with the message in errbuf if not.
 */
static int
load_mode(const char *text, mode_t mode, uid_t uid, gid_t gid)
{
	char		 path[] = "/tmp/test_conf.XXXXXX";
	int		 fd = mkstemp(path);
	struct conf	*c;
	FILE		*f;
	size_t		 n = 0;

	if (fd == -1 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)
	    || fchmod(fd, mode) == -1 || fchown(fd, uid, gid) == -1)
		abort();
	close(fd);
	free(errbuf);
	errbuf = NULL;
	f = open_memstream(&errbuf, &n);
	c = conf_load(path, f);
	fclose(f);
	unlink(path);
	conf_free(c);
	return c != NULL;
}

/* The programs the file names run as root: who may own, write, read it. */
static void
test_file_mode(void)
{
	const char	*plain = "[node n1]\nnodeid = 1\n";
	const char	*secret = "[node n1]\nnodeid = 1\n"
	    "fence_agent = /usr/sbin/fence_ipmilan\n"
	    "fence_options = ip=198.18.1.1 username=admin password=s3cret\n";
	const char	*script = "[node n1]\nnodeid = 1\n"
	    "fence_agent = /usr/sbin/fence_ipmilan\n"
	    "fence_options = ip=198.18.1.1 password_script=/etc/pgha/pw\n";
	uid_t		 me = geteuid();

	ok(load_mode(plain, 0644, me, 0), "0644, ours: accepted");
	ok(!load_mode(plain, 0666, me, 0) &&
	    strstr(errbuf, "mode 0666, group 0: writable by others") &&
	    strstr(errbuf, "chmod go-w /tmp/test_conf."),
	    "0666 refused: %s", errbuf);
	ok(!load_mode(plain, 0646, me, 0), "0646 refused");
	ok(load_mode(plain, 0664, me, 0), "0664, group root: accepted");
	ok(!load_mode(secret, 0644, me, 0) &&
	    strstr(errbuf, "readable by others, and [node n1] fence_options "
	    "holds a secret (password=)") && strstr(errbuf, "chmod 600"),
	    "fence password, 0644 refused: %s", errbuf);
	ok(load_mode(secret, 0600, me, 0), "fence password, 0600: accepted");
	ok(load_mode(secret, 0640, me, 0), "fence password, 0640 group root: "
	    "accepted");
	ok(load_mode(script, 0644, me, 0), "password_script, 0644: accepted");
	if (me != 0) {
		diag("not root: files given away not tested");
		return;
	}
	ok(!load_mode(plain, 0644, 65534, 0) &&
	    strstr(errbuf, "owned by uid 65534") &&
	    strstr(errbuf, "chown root /tmp/test_conf."),
	    "owned by nobody refused: %s", errbuf);
	ok(!load_mode(plain, 0664, 0, 65534) &&
	    strstr(errbuf, "group 65534: writable by others"),
	    "0664, group nogroup refused: %s", errbuf);
	ok(!load_mode(secret, 0640, 0, 65534) &&
	    strstr(errbuf, "readable by others"),
	    "fence password, 0640 group nogroup refused: %s", errbuf);
}

/* Every key of the table has an ".It Cm KEY" entry in the man page. */
static void
test_manpage(const char *path)
{
	FILE	*f = fopen(path, "r");
	char	*buf = NULL, item[128];
	size_t	 n = 0, i;
	int	 missing = 0;

	if (!ok(f != NULL, "man page %s readable", path))
		return;
	if (getdelim(&buf, &n, '\0', f) == -1)
		abort();
	fclose(f);
	for (i = 0; i < conf_nkeys; i++) {
		snprintf(item, sizeof(item), ".It Cm %s ", conf_keys[i].name);
		if (strstr(buf, item) == NULL) {
			snprintf(item, sizeof(item), ".It Cm %s\n",
			    conf_keys[i].name);
			if (strstr(buf, item) == NULL) {
				diag("%s lacks .It Cm %s", path,
				    conf_keys[i].name);
				missing++;
			}
		}
	}
	is_int(missing, 0, "man page documents all %zu keys", conf_nkeys);
	free(buf);
}

/* The golden order.in: start order b, a, c, d (see the file). */
static void
test_order_file(const char *top)
{
	char		 path[4096];
	struct conf	*c;
	const struct conf_group *g;
	const char	*want[] = { "b", "a", "c", "d" };
	int		 i, good_order = 1;

	snprintf(path, sizeof(path), "%s/tests/golden/conf/order.in", top);
	c = conf_load(path, stderr);
	if (!ok(c != NULL, "%s parses", path))
		return;
	g = &c->groups[0];
	for (i = 0; i < 4; i++)
		if (g->nres != 4 || strcmp(g->res[i]->name, want[i]) != 0)
			good_order = 0;
	ok(good_order, "order.in starts b, a, c, d");
	conf_free(c);
}

/*
 * Inline comments: a "#" after a blank starts a comment to the end of the
 * line; a "#" with no blank before it is part of the value.  Every key
 * type below is given once plainly and once with a comment after it (a
 * space and a tab variant), and both must give the same configuration.
 */
static const char every_type[] =
    "[cluster]\n"
    "name = c1\n"				/* name */
    "socket = /run/pgha/x.sock\n"		/* socket */
    "admin_group = dba\n"			/* name */
    "state_dir = /var/lib/pgha-x\n"		/* path */
    "fencing = yes\n"				/* bool */
    "[node n1]\n"
    "nodeid = 1\n"				/* int */
    "fence_agent = /usr/sbin/fence_x\n"		/* path */
    "fence_options = ip=198.18.0.1 lanplus=1\n"	/* key=value list */
    "fence_timeout = 30s\n"			/* duration */
    "[node n2]\n"
    "nodeid = 2\n"
    "fence_agent = /usr/sbin/fence_x\n"
    "[group db1]\n"
    "preferred_owners = n2 n1\n"		/* node list */
    "autostart = no\n"
    "failover_threshold = 3\n"			/* int or auto */
    "failback = 01:00-05:00\n"			/* failback */
    "[resource db1-disk]\n"
    "group = db1\n"				/* group reference */
    "type = disk\n"				/* resource type */
    "device = /dev/loop0\n"
    "mountpoint = /srv/db1\n"
    "fstype = ext4\n"				/* word */
    "options = noatime,nodiratime\n"		/* string */
    "encrypted_dirs = data backup\n"		/* string (a list) */
    "[resource db1-ip]\n"
    "group = db1\n"
    "type = address\n"
    "address = 198.18.0.100/24\n"		/* cidr */
    "interface = eth0\n"			/* interface name */
    "requires = db1-disk\n"			/* resource list */
    "[resource db1-pg]\n"
    "group = db1\n"
    "type = postgresql\n"
    "data = /srv/db1/data\n"
    "port = 5433\n"				/* port */
    "requires = db1-disk db1-ip\n";

/* text with sep + "# ..." appended to every non-empty line; caller frees */
static char *
with_comments(const char *text, const char *sep)
{
	char		*buf = NULL;
	size_t		 n = 0;
	FILE		*f = open_memstream(&buf, &n);
	const char	*s, *nl;

	if (f == NULL)
		abort();
	for (s = text; *s != '\0'; s = nl + 1) {
		nl = strchr(s, '\n');
		fprintf(f, "%.*s%s# a comment, = with #signs and words\n",
		    (int)(nl - s), s, sep);
	}
	fclose(f);
	return buf;
}

static void
test_inline_comments(void)
{
	static const char *const seps[] = { " ", "\t", "   \t " };
	struct conf	*plain = loads(every_type), *c;
	char		*pp, *text, *pc;
	size_t		 i;

	if (!ok(plain != NULL, "every key type parses plainly"))
		diag("%s", errbuf);
	pp = plain ? print_str(plain) : xstrdup("");
	for (i = 0; i < nitems(seps); i++) {
		text = with_comments(every_type, seps[i]);
		c = loads(text);
		if (!ok(c != NULL, "inline comments after every key type "
		    "(separator %zu) accepted", i))
			diag("%s", errbuf);
		is_str(errbuf, "", "no message (separator %zu)", i);
		pc = c ? print_str(c) : xstrdup("");
		is_str(pc, pp, "same configuration as without comments "
		    "(separator %zu)", i);
		ok(plain && c && strcmp(c->hash, plain->hash) == 0,
		    "same hash (separator %zu)", i);
		free(pc);
		free(text);
		conf_free(c);
	}
	free(pp);
	conf_free(plain);
	c = loads(NODE1 "[group g]\n[resource d]\ngroup = g\ntype = disk\n"
	    "device = /dev/loop0\nmountpoint = /srv/d\nfstype = ext4\n"
	    "encrypted_dirs = data        # the directories of data, WAL\n");
	ok(c != NULL && strcmp(conf_param(&c->resources[0],
	    "encrypted_dirs"), "data") == 0,
	    "a list value never takes words from its comment");
	conf_free(c);
	c = loads("[node n1]\nnodeid = 1\nfence_agent = /usr/sbin/fence_x\n"
	    "fence_options = passwd=a#b#\n[node n2]\nnodeid = 2\n"
	    "fence_agent = /usr/sbin/f#x # comment\n");
	ok(c != NULL && strcmp(c->nodes[0].fence_options, "passwd=a#b#") == 0
	    && strcmp(c->nodes[1].fence_agent, "/usr/sbin/f#x") == 0,
	    "a # with no blank before it stays in the value");
	if (c == NULL)
		diag("%s", errbuf);
	conf_free(c);
	bad(NODE1 "[group g]\nban_timeout = # 10m\n",
	    "t.conf:4: [group g] ban_timeout: empty value\n",
	    "a value that is all comment is empty, not the comment");
	bad(NODE1 "[group g] # the group\nfailback =\t#no\n",
	    "t.conf:4: [group g] failback: empty value\n",
	    "comment after a section header; tab before #");
}

/* --- service and OCF resources ---------------------------------------- */

static const char svc_ocf[] =
	PRE
	"[resource dummy]\n"			/* line 4 */
	"group = g\n"
	"type = ocf:heartbeat:Dummy\n"
	"param.state = /run/dummy.state\n"
	"param.fake = a b\n"
	"start_timeout = 30s\n"
	"[resource bouncer]\n"			/* line 10 */
	"group = g\n"
	"type = service\n"
	"start = /usr/sbin/pgbouncer -d /etc/pgbouncer/pgbouncer.ini\n"
	"user = postgres\n"
	"pidfile = /run/postgresql/pgbouncer.pid\n"
	"requires = dummy\n";

static void
test_service_ocf(void)
{
	struct conf			*c = loads(svc_ocf);
	const struct conf_resource	*d, *b;

	if (!ok(c != NULL, "service and ocf resources accepted")) {
		diag("%s", errbuf);
		return;
	}
	d = conf_resource_by_name(c, "dummy");
	b = conf_resource_by_name(c, "bouncer");
	ok(d->type == RT_OCF, "ocf: type RT_OCF");
	is_str(d->type_name, "ocf:heartbeat:Dummy", "ocf: type name whole");
	is_str(d->ocf_provider, "heartbeat", "ocf: provider");
	is_str(d->ocf_agent, "Dummy", "ocf: agent");
	is_str(d->ocf_path, "/usr/lib/ocf/resource.d/heartbeat/Dummy",
	    "ocf: agent path under OCF_ROOT");
	is_int(d->nparams, 2, "ocf: only the param.NAME keys are params");
	is_str(conf_param(d, "state"), "/run/dummy.state",
	    "ocf: param.state is parameter state");
	is_str(conf_param(d, "fake"), "a b", "ocf: a value with blanks");
	is_int(d->start_timeout_ms, 30000, "ocf: start_timeout given");
	is_int(d->monitor_timeout_ms, 20000, "ocf: monitor_timeout default");
	is_int(d->monitor_interval_ms, 10000, "ocf: monitor_interval default");
	ok(b->type == RT_SERVICE, "service: type RT_SERVICE");
	is_str(conf_param(b, "user"), "postgres",
	    "service: user (a key postgresql has too)");
	is_str(conf_param(b, "stop"), "", "service: stop defaults to none");
	is_str(conf_param(b, "start"),
	    "/usr/sbin/pgbouncer -d /etc/pgbouncer/pgbouncer.ini",
	    "service: start command as written");
	ok(c->groups[0].res[0] == d && c->groups[0].res[1] == b,
	    "service after the ocf resource it requires");
	conf_free(c);
	roundtrip(svc_ocf, "service and ocf");

	bad(PRE "[resource x]\ngroup = g\ntype = ocf:heartbeat\n",
	    "t.conf:6: [resource x] type: \"ocf:heartbeat\" is not "
	    "ocf:PROVIDER:AGENT (e.g. ocf:heartbeat:Dummy)\n",
	    "ocf type without an agent");
	bad(PRE "[resource x]\ngroup = g\ntype = ocf:heartbeat:../../bin/sh\n",
	    "t.conf:6: [resource x] type: \"ocf:heartbeat:../../bin/sh\": "
	    "the provider and the agent must each be a name (letters, "
	    "digits, \"_\", \".\", \"-\", at most 63, starting with a letter "
	    "or digit)\n", "ocf agent that climbs out of resource.d");
	bad(PRE "[resource x]\ngroup = g\ntype = ocf\n",
	    "t.conf:6: [resource x] type: \"ocf\" is not a resource type "
	    "(disk, address, postgresql, service or ocf:PROVIDER:AGENT)\n",
	    "ocf alone");
	bad(PRE "[resource x]\ngroup = g\ntype = ocf:heartbeat:Dummy\n"
	    "param.9a = 1\nparam.CRM_meta_timeout = 5\nparam.ok =\n"
	    "param.a-b = 1\n",
	    "t.conf:7: [resource x] param.9a: \"9a\" is not a parameter name "
	    "(letters, digits and \"_\", at most 63, not starting with a "
	    "digit)\n"
	    "t.conf:8: [resource x] param.CRM_meta_timeout: "
	    "\"CRM_meta_timeout\" is a name of the caller's (pghad sets "
	    "CRM_meta_timeout) and may not be set\n"
	    "t.conf:9: [resource x] param.ok: empty value (leave the key out "
	    "for the agent's default)\n"
	    "t.conf:10: [resource x] param.a-b: \"a-b\" is not a parameter "
	    "name (letters, digits and \"_\", at most 63, not starting with "
	    "a digit)\n", "bad OCF parameter names and values");
	bad(PRE "[resource x]\ngroup = g\ntype = service\nstart = run\n"
	    "param.a = 1\ndata = /d\n",
	    "t.conf:4: [resource x] (type service) has neither pidfile nor "
	    "monitor: pgha could not tell whether it runs; set pidfile = the "
	    "file the program writes its process id in, or monitor = a "
	    "command that exits 0 while it works\n"
	    "t.conf:4: [resource x] (type service) has neither pidfile nor "
	    "stop: pgha could not stop it; set pidfile (stopped with "
	    "SIGTERM, then SIGKILL) or stop = a command that stops it\n"
	    "t.conf:8: [resource x] key \"param.a\": param.NAME keys are for "
	    "OCF resource agents (type = ocf:PROVIDER:AGENT), not type "
	    "service\n"
	    "t.conf:9: [resource x] key \"data\" is not valid for type "
	    "service (it belongs to type postgresql)\n",
	    "service without a way to watch or stop it; foreign keys");
	{
		char	text[4096], want[256];
		int	i, n = snprintf(text, sizeof(text), "%s", PRE
			    "[resource x]\ngroup = g\n"
			    "type = ocf:heartbeat:Dummy\n");

		for (i = 0; i <= CONF_MAX_OCF_PARAMS; i++)
			n += snprintf(text + n, sizeof(text) - (size_t)n,
			    "param.p%d = v\n", i);
		snprintf(want, sizeof(want), "t.conf:%d: [resource x] "
		    "param.p%d: more than %d param.NAME keys\n",
		    7 + CONF_MAX_OCF_PARAMS, CONF_MAX_OCF_PARAMS,
		    CONF_MAX_OCF_PARAMS);
		bad(text, want, "too many OCF parameters");
	}
	bad(PRE "[resource x]\ngroup = g\ntype = service\nmonitor = true\n"
	    "stop = true\n",
	    "t.conf:4: [resource x] (type service) lacks required key "
	    "\"start\"\n", "service without start");
}

int
main(int argc, char **argv)
{
	const char	*top = getenv("PGHA_TOP");
	char		 man[4096];

	snprintf(man, sizeof(man), "%s/man/pgha.conf.5", top ? top : ".");
	test_good();
	test_bad();
	test_too_many_nodes();
	test_inline_comments();
	test_service_ocf();
	test_hash();
	test_print();
	roundtrip(good, "test file");
	test_garbage();
	test_file();
	test_file_mode();
	test_manpage(man);
	test_order_file(top ? top : ".");
	free(errbuf);
	return done_testing();
}
