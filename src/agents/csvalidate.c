/*
 * csvalidate.c - `pgha-agent corosync validate`: what a real cluster needs
 * from Corosync, read from the corosync running on this node (cmap for its
 * configuration, votequorum for the witness), as findings for pgha
 * validate, one JSON object a line as pgvalidate.c writes them.
 *
 * The rules are docs/deploy.md's: traffic encrypted and signed, a key only
 * root can read, the token and the knet ping timeouts chosen for the
 * number of links, token_coefficient 0 past two nodes, and a witness that
 * votes (or, for two nodes without one, a warning).
 */
#define PGHA_LOG_TAG	"validate"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <corosync/cmap.h>
#include <corosync/votequorum.h>
#include <json-c/json.h>

#include "agent_util.h"
#include "log.h"
#include "pgcheck.h"
#include "pgcheck_int.h"

#define DEFAULT_KEYFILE	"/etc/corosync/authkey"
#define MAX_LINKS	8
#define DEPLOY_DOC	"docs/deploy.md, \"Failover speed\""

/* A numeric cmap value of any integer type; false if missing. */
static bool
get_num(cmap_handle_t h, const char *key, uint64_t *v)
{
	union {
		int8_t i8; uint8_t u8; int16_t i16; uint16_t u16;
		int32_t i32; uint32_t u32; int64_t i64; uint64_t u64;
	}			 val;
	size_t			 len = sizeof(val);
	cmap_value_types_t	 type;

	if (cmap_get(h, key, &val, &len, &type) != CS_OK)
		return false;
	switch (type) {
	case CMAP_VALUETYPE_INT8:	*v = (uint64_t)val.i8; break;
	case CMAP_VALUETYPE_UINT8:	*v = val.u8; break;
	case CMAP_VALUETYPE_INT16:	*v = (uint64_t)val.i16; break;
	case CMAP_VALUETYPE_UINT16:	*v = val.u16; break;
	case CMAP_VALUETYPE_INT32:	*v = (uint64_t)val.i32; break;
	case CMAP_VALUETYPE_UINT32:	*v = val.u32; break;
	case CMAP_VALUETYPE_INT64:	*v = (uint64_t)val.i64; break;
	case CMAP_VALUETYPE_UINT64:	*v = val.u64; break;
	default:
		return false;
	}
	return true;
}

/* A string value (freed by the caller), or NULL if missing. */
static char *
get_str(cmap_handle_t h, const char *key)
{
	char	*s = NULL;

	return cmap_get_string(h, key, &s) == CS_OK ? s : NULL;
}

static bool
has_key(cmap_handle_t h, const char *key)
{
	size_t			len;
	cmap_value_types_t	type;

	return cmap_get(h, key, NULL, &len, &type) == CS_OK;
}

static void
check_crypto(struct chk *c, cmap_handle_t h)
{
	char	*cipher = get_str(h, "totem.crypto_cipher");
	char	*hash = get_str(h, "totem.crypto_hash");
	char	*keyfile = get_str(h, "totem.keyfile");
	const char *path = keyfile ? keyfile : DEFAULT_KEYFILE;
	struct stat st;

	if (cipher == NULL || hash == NULL || strcmp(cipher, "none") == 0 ||
	    strcmp(hash, "none") == 0)
		pgc_finding(c, "error", "crypto", NULL, "set crypto_cipher: "
		    "aes256 and crypto_hash: sha256 in totem { }, with a "
		    "shared authkey (pgha cluster setup, or docs/deploy.md)",
		    "corosync runs with crypto_cipher %s and crypto_hash %s: "
		    "the cluster's traffic is not %s, and any host on its "
		    "networks can join it or forge its messages",
		    cipher ? cipher : "none", hash ? hash : "none",
		    cipher == NULL || strcmp(cipher, "none") == 0 ?
		    "encrypted" : "signed");
	else
		pgc_passed("crypto", "traffic encrypted (%s) and signed (%s)",
		    cipher, hash);
	/* A key given inline in corosync.conf has no file to check. */
	if (!has_key(h, "totem.key")) {
		if (stat(path, &st) == -1)
			pgc_finding(c, "error", "keyfile", path, "create it "
			    "with corosync-keygen on one node and copy it "
			    "to every node", "cannot read the authkey: %m");
		else if ((st.st_mode & 077) != 0 || st.st_uid != 0)
			pgc_finding(c, "error", "keyfile", path,
			    "chown root:root and chmod 0400 it on every node",
			    "the authkey (the cluster's password) is owned "
			    "by uid %u with mode %04o: only root may read it",
			    (unsigned)st.st_uid, (unsigned)(st.st_mode &
			    07777));
		else
			pgc_passed("keyfile", "%s: owned by root, mode %04o",
			    path, (unsigned)(st.st_mode & 07777));
	}
	free(cipher);
	free(hash);
	free(keyfile);
}

/* Number of nodes in the nodelist, and of links of the first node. */
static void
count_nodes(cmap_handle_t h, int *nodes, int *links)
{
	char	key[64];
	int	i;

	for (*nodes = 0; *nodes < 256; (*nodes)++) {
		snprintf(key, sizeof(key), "nodelist.node.%d.nodeid", *nodes);
		if (!has_key(h, key))
			break;
	}
	*links = 0;
	for (i = 0; i < MAX_LINKS; i++) {
		snprintf(key, sizeof(key), "nodelist.node.0.ring%d_addr", i);
		if (has_key(h, key))
			(*links)++;
	}
}

static void
check_timing(struct chk *c, cmap_handle_t h, int nodes, int links)
{
	uint64_t	token, consensus, coef, ping;
	char		key[64];
	int		l;
	bool		bad, coef_set;

	if (!get_num(h, "runtime.config.totem.token", &token) ||
	    !get_num(h, "runtime.config.totem.consensus", &consensus)) {
		pgc_finding(c, "warning", "token", NULL, NULL, "corosync does "
		    "not show its token and consensus timeouts (runtime."
		    "config.totem): not checked");
		return;
	}
	coef_set = get_num(h, "totem.token_coefficient", &coef);
	if (nodes >= 3 && coef_set && coef != 0)
		pgc_finding(c, "warning", "token_coefficient", NULL,
		    "set token_coefficient: 0 in totem { } (" DEPLOY_DOC ")",
		    "token_coefficient is %llu ms: with %d nodes the token "
		    "really is %llu ms, and a lost node is seen that much "
		    "later", (unsigned long long)coef, nodes,
		    (unsigned long long)token);
	else if (nodes >= 3 && !coef_set)
		pgc_finding(c, "warning", "token_coefficient", NULL,
		    "set token_coefficient: 0 in totem { } (" DEPLOY_DOC ")",
		    "token_coefficient is not set (650 ms per node past "
		    "two): with %d nodes the token really is %llu ms", nodes,
		    (unsigned long long)token);
	bad = nodes >= 3 && (!coef_set || coef != 0);
	if (consensus * 10 < token * 12) {
		pgc_finding(c, "warning", "consensus", NULL, "remove "
		    "consensus from totem { } (it defaults to 1.2 x token)",
		    "consensus is %llu ms, less than 1.2 x the token (%llu "
		    "ms): a membership may form before a lost node's token "
		    "has run out", (unsigned long long)consensus,
		    (unsigned long long)token);
		bad = true;
	}
	for (l = 0; l < links; l++) {
		snprintf(key, sizeof(key), "totem.interface.%d."
		    "knet_ping_timeout", l);
		if (!get_num(h, key, &ping))
			ping = token / 2;	/* corosync's default */
		if (links >= 2 && ping * 2 > token) {
			pgc_finding(c, "warning", "knet_ping_timeout", NULL,
			    "set knet_ping_timeout to token / 4 and "
			    "knet_ping_interval to token / 10 in each "
			    "interface { } (" DEPLOY_DOC ")", "link %d: knet_"
			    "ping_timeout is %llu ms with a token of %llu ms "
			    "and %d links: a dead link is not dropped long "
			    "enough before the token runs out, and losing one "
			    "link loses the membership", l,
			    (unsigned long long)ping,
			    (unsigned long long)token, links);
			bad = true;
		} else if (links == 1 && ping < token) {
			pgc_finding(c, "warning", "knet_ping_timeout", NULL,
			    "set knet_ping_timeout to token x 2 and "
			    "knet_ping_interval to token / 4 in interface "
			    "{ } (" DEPLOY_DOC ")", "knet_ping_timeout is %llu "
			    "ms with a token of %llu ms and one link: a ping "
			    "answered late by a busy node drops the only link "
			    "and loses the membership before the token "
			    "decides", (unsigned long long)ping,
			    (unsigned long long)token);
			bad = true;
		}
	}
	if (!bad)
		pgc_passed("token", "token %llu ms, consensus %llu ms, %d "
		    "link(s), %d node(s): as docs/deploy.md recommends",
		    (unsigned long long)token, (unsigned long long)consensus,
		    links, nodes);
}

static void
check_quorum(struct chk *c, cmap_handle_t h, int nodes)
{
	char				*model = get_str(h, "quorum.device.model");
	char				*host = get_str(h,
					    "quorum.device.net.host");
	uint64_t			 two = 0, me = 0;
	votequorum_handle_t		 vq;
	struct votequorum_info		 info;
	votequorum_callbacks_t		 cb = { 0 };

	if (model == NULL) {
		(void)get_num(h, "quorum.two_node", &two);
		if (nodes == 2)
			pgc_finding(c, "warning", "quorum", NULL, "add a "
			    "witness: corosync-qnetd on a third host and a "
			    "quorum device { model: net } (docs/deploy.md, "
			    "\"A witness for two nodes\")", "two nodes "
			    "without a witness: %s", two ? "two_node gives "
			    "each side quorum when the link between them is "
			    "lost, and a fencing race decides" : "one node "
			    "alone never has quorum, so nothing fails over");
		else
			pgc_passed("quorum", "%d nodes, no witness", nodes);
		goto out;
	}
	if (!get_num(h, "runtime.votequorum.this_node_id", &me) ||
	    votequorum_initialize(&vq, &cb) != CS_OK) {
		pgc_finding(c, "error", "quorum.device", NULL, NULL,
		    "cannot ask votequorum whether the witness votes");
		goto out;
	}
	if (votequorum_getinfo(vq, (unsigned)me, &info) != CS_OK)
		pgc_finding(c, "error", "quorum.device", NULL, NULL,
		    "votequorum gives no information on node %llu",
		    (unsigned long long)me);
	else if (!(info.flags & VOTEQUORUM_INFO_QDEVICE_REGISTERED))
		pgc_finding(c, "error", "quorum.device", NULL, "start "
		    "corosync-qdevice on this node", "a witness (model %s) "
		    "is configured but corosync-qdevice is not running here",
		    model);
	else if (!(info.flags & VOTEQUORUM_INFO_QDEVICE_ALIVE) ||
	    !(info.flags & VOTEQUORUM_INFO_QDEVICE_CAST_VOTE))
		pgc_finding(c, "error", "quorum.device", host, "check that "
		    "corosync-qnetd runs on the witness and that this node "
		    "reaches it (corosync-qdevice-tool -s shows why)",
		    "the witness %s does not give this node its vote%s",
		    host ? host : model,
		    (info.flags & VOTEQUORUM_INFO_QDEVICE_ALIVE) ? "" :
		    ": corosync-qdevice here is not alive");
	else
		pgc_passed("quorum.device", "the witness %s gives this node "
		    "its vote (%u)", host ? host : model, info.qdevice_votes);
	votequorum_finalize(vq);
out:
	free(model);
	free(host);
}

int
corosync_validate(void)
{
	struct chk	c = { .res = "corosync" };
	cmap_handle_t	h;
	int		nodes, links;

	if (cmap_initialize(&h) != CS_OK) {
		pgc_finding(&c, "error", "corosync", NULL, "start corosync "
		    "on this node", "cannot read corosync's configuration "
		    "(cmap): corosync does not run here");
		return 0;
	}
	count_nodes(h, &nodes, &links);
	check_crypto(&c, h);
	check_timing(&c, h, nodes, links);
	check_quorum(&c, h, nodes);
	cmap_finalize(h);
	return 0;
}
