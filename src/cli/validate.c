/*
 * validate.c - pgha validate and pgha db init.
 *
 * validate asks pghad to have every member check itself (pgha-agent
 * postgresql validate, see pgha-agent(8)); paths that postgresql.conf
 * names outside the shared disks, found where the group runs, are then
 * checked on every node in a second round.  What no single node can see
 * is compared here: the cluster file, the server user's uid and gid, the
 * master key fingerprint of each encrypted disk's keystore, the files of
 * each config_dir (by their sha256).
 * Text output lists each node's findings with their fix; the exit is 1
 * when there is an error, 0 with warnings only.
 */
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "cli.h"

#define CHECK_TIMEOUT_MS	(5 * 60 * 1000)

static int
long_call(const struct cli_args *a, struct json_object *req,
    struct json_object **reply)
{
	struct ctl_conn	*c;
	int		 r;

	*reply = NULL;
	if ((r = ctl_open(a->socket, req, &c)) != 0)
		return r;
	r = ctl_read(c, now_ms() + CHECK_TIMEOUT_MS, reply);
	ctl_close(c);
	return r;
}

#define EACH(arr, i, x) \
	for ((i) = 0; (i) < out_jlen(arr) && \
	    ((x) = json_object_array_get_idx((arr), (i))) != NULL; (i)++)

/* Is word one of the blank-separated words of s? */
static int
has_word(const char *s, const char *word)
{
	size_t	wl = strlen(word), l;

	for (; *s; s += l + (s[l] == ' ')) {
		l = strcspn(s, " ");
		if (l == wl && strncmp(s, word, l) == 0)
			return 1;
	}
	return 0;
}

/* "setting=path ..." of every local_path fact, each once. */
static char *
local_paths(struct json_object *reply)
{
	struct json_object	*n, *f;
	char			*s = xstrdup(""), *item, *t;
	size_t			 i, j;

	EACH(out_jarray(reply, "nodes"), i, n) {
		EACH(out_jarray(n, "findings"), j, f) {
			if (strcmp(out_jstr(f, "kind"), "fact") != 0 ||
			    strcmp(out_jstr(f, "name"), "local_path") != 0)
				continue;
			item = xasprintf("%s=%s", out_jstr(f, "setting"),
			    out_jstr(f, "path"));
			if (!has_word(s, item)) {
				t = xasprintf("%s%s%s", s, *s ? " " : "", item);
				free(s);
				s = t;
			}
			free(item);
		}
	}
	return s;
}

static struct json_object *
finding(const char *level, const char *setting, const char *msg,
    const char *fix)
{
	struct json_object	*o = json_object_new_object();

	json_object_object_add(o, "kind", json_object_new_string(
	    strcmp(level, "ok") ? "finding" : "ok"));
	if (strcmp(level, "ok"))
		json_object_object_add(o, "level",
		    json_object_new_string(level));
	json_object_object_add(o, "setting", json_object_new_string(setting));
	json_object_object_add(o, "message", json_object_new_string(msg));
	if (fix)
		json_object_object_add(o, "fix", json_object_new_string(fix));
	return o;
}

/* The cluster file and the server user, compared across nodes. */
static void
cross_checks(struct json_object *reply, struct json_object *out)
{
	struct json_object	*n, *f, *first = NULL;
	const char		*hash = out_jstr(reply, "config_hash");
	char			*msg, *diff = xstrdup(""), *t;
	size_t			 i, j;
	int			 bad = 0;

	EACH(out_jarray(reply, "nodes"), i, n) {
		if (strcmp(out_jstr(n, "config_hash"), hash) != 0) {
			msg = xasprintf("the cluster file on %s differs from "
			    "this node's (sha256 %.12s, here %.12s)",
			    out_jstr(n, "node"), out_jstr(n, "config_hash"),
			    hash);
			json_object_array_add(out, finding("error",
			    "cluster file", msg, "copy the same file to every "
			    "node"));
			free(msg);
			bad++;
		}
		EACH(out_jarray(n, "findings"), j, f) {
			if (strcmp(out_jstr(f, "name"), "user") != 0)
				continue;
			if (first == NULL)
				first = f;
			else if (strcmp(out_jstr(f, "uid"),
			    out_jstr(first, "uid")) ||
			    strcmp(out_jstr(f, "gid"), out_jstr(first, "gid"))) {
				t = xasprintf("%s %s: uid %s gid %s;", diff,
				    out_jstr(n, "node"), out_jstr(f, "uid"),
				    out_jstr(f, "gid"));
				free(diff);
				diff = t;
			}
		}
	}
	if (bad == 0 && out_jlen(out_jarray(reply, "nodes")) > 0) {
		msg = xasprintf("the cluster file is the same on every node "
		    "checked (sha256 %.12s)", hash);
		json_object_array_add(out, finding("ok", "cluster file", msg,
		    NULL));
		free(msg);
	}
	if (first != NULL && *diff) {
		msg = xasprintf("user %s differs between nodes: uid %s gid %s "
		    "first, then%s", out_jstr(first, "user"),
		    out_jstr(first, "uid"), out_jstr(first, "gid"), diff);
		json_object_array_add(out, finding("error", "user", msg,
		    "give the user the same uid and gid on every node "
		    "(usermod -u UID, groupmod -g GID) and chown its files"));
		free(msg);
	} else if (first != NULL) {
		msg = xasprintf("user %s has uid %s gid %s on every node "
		    "checked", out_jstr(first, "user"), out_jstr(first, "uid"),
		    out_jstr(first, "gid"));
		json_object_array_add(out, finding("ok", "user", msg, NULL));
		free(msg);
	}
	free(diff);
	EACH(out_jarray(reply, "not_checked"), i, n) {
		msg = xasprintf("%s was not checked: its pghad is not running "
		    "or did not answer", json_object_get_string(n));
		json_object_array_add(out, finding("warning", "node", msg,
		    "start pghad there and run pgha validate again"));
		free(msg);
	}
}

/*
 * One keystore path: every node that has it must hold the same master key
 * (guide 3.3: made on one node, copied to the others).  Nodes without it
 * reported their own error already.
 */
static void
keystore_cross(struct json_object *reply, const char *path,
    struct json_object *out)
{
	struct json_object	*n, *f;
	const char		*first = NULL, *fnode = NULL;
	char			*msg, *diff = xstrdup(""), *t;
	size_t			 i, j;
	int			 nodes = 0;

	EACH(out_jarray(reply, "nodes"), i, n) {
		EACH(out_jarray(n, "findings"), j, f) {
			if (strcmp(out_jstr(f, "kind"), "fact") != 0 ||
			    strcmp(out_jstr(f, "name"), "keystore") != 0 ||
			    strcmp(out_jstr(f, "path"), path) != 0)
				continue;
			nodes++;
			if (first == NULL) {
				first = out_jstr(f, "fingerprint");
				fnode = out_jstr(n, "node");
			} else if (strcmp(first,
			    out_jstr(f, "fingerprint")) != 0) {
				t = xasprintf("%s %s: %.16s;", diff,
				    out_jstr(n, "node"),
				    out_jstr(f, "fingerprint"));
				free(diff);
				diff = t;
			}
			break;	/* one per node (several pg resources) */
		}
	}
	if (*diff) {
		msg = xasprintf("keystore %s holds different master keys: "
		    "%s: %.16s;%s", path, fnode, first, diff);
		t = xasprintf("copy the keystore that opens the disk's data "
		    "to %s on every node, then run pgha keystore auto-open "
		    "there", path);
		json_object_array_add(out, finding("error", "keystore", msg,
		    t));
		free(t);
		free(msg);
	} else if (first != NULL) {
		msg = xasprintf("keystore %s has the same master key on the "
		    "%d node%s that have it (fingerprint %.16s)", path, nodes,
		    nodes == 1 ? "" : "s", first);
		json_object_array_add(out, finding("ok", "keystore", msg,
		    NULL));
		free(msg);
	}
	free(diff);
}

/*
 * For each distinct path of the node facts called name, once: cross(reply,
 * path, out), which compares that fact across the nodes.
 */
static void
facts_cross(struct json_object *reply, const char *name,
    void (*cross)(struct json_object *, const char *, struct json_object *),
    struct json_object *out)
{
	struct json_object	*n, *f;
	char			*seen = xstrdup(""), *t;
	size_t			 i, j;

	EACH(out_jarray(reply, "nodes"), i, n) {
		EACH(out_jarray(n, "findings"), j, f) {
			if (strcmp(out_jstr(f, "kind"), "fact") != 0 ||
			    strcmp(out_jstr(f, "name"), name) != 0 ||
			    has_word(seen, out_jstr(f, "path")))
				continue;
			cross(reply, out_jstr(f, "path"), out);
			t = xasprintf("%s%s%s", seen, *seen ? " " : "",
			    out_jstr(f, "path"));
			free(seen);
			seen = t;
		}
	}
	free(seen);
}

/* One difference in a config_dir between the reference node and another. */
static void
confdir_diff(struct json_object *out, const char *dir, const char *file,
    const char *ref, const char *rh, const char *node, const char *nh)
{
	char	*msg, *fix;

	if (nh == NULL) {
		msg = xasprintf("config_dir %s: %s is on %s but not on %s",
		    dir, file, ref, node);
		fix = xasprintf("copy %s/%s from %s to %s (same owner and "
		    "mode)", dir, file, ref, node);
	} else if (rh == NULL) {
		msg = xasprintf("config_dir %s: %s is on %s but not on %s",
		    dir, file, node, ref);
		fix = xasprintf("remove %s/%s on %s, or copy it to %s", dir,
		    file, node, ref);
	} else {
		msg = xasprintf("config_dir %s: %s differs on %s (sha256 "
		    "%.12s) from %s (sha256 %.12s)", dir, file, node, nh, ref,
		    rh);
		fix = xasprintf("copy %s/%s from %s to %s (same owner and "
		    "mode)", dir, file, ref, node);
	}
	json_object_array_add(out, finding("error", "config_dir", msg, fix));
	free(msg);
	free(fix);
}

/* The config_dir fact of node n for path dir, or NULL. */
static struct json_object *
confdir_fact(struct json_object *n, const char *dir)
{
	struct json_object	*f;
	size_t			 j;

	EACH(out_jarray(n, "findings"), j, f) {
		if (strcmp(out_jstr(f, "kind"), "fact") == 0 &&
		    strcmp(out_jstr(f, "name"), "config_dir") == 0 &&
		    strcmp(out_jstr(f, "path"), dir) == 0)
			return f;
	}
	return NULL;
}

/*
 * One config_dir: every node that has it must hold the same files, byte
 * for byte, as the node where the group runs (the first node if it runs
 * nowhere).  Nodes without it reported their own error already.
 */
static void
confdir_cross(struct json_object *reply, const char *dir,
    struct json_object *out)
{
	struct json_object	*n, *f, *rf = NULL, *files, *rfiles, *v;
	const char		*ref = NULL;
	char			*msg;
	size_t			 i;
	int			 nodes = 0, bad = 0;

	EACH(out_jarray(reply, "nodes"), i, n) {
		if ((f = confdir_fact(n, dir)) == NULL)
			continue;
		nodes++;
		if (rf == NULL || (json_object_object_get_ex(f, "here", &v) &&
		    json_object_get_boolean(v))) {
			rf = f;
			ref = out_jstr(n, "node");
		}
	}
	if (rf == NULL || !json_object_object_get_ex(rf, "files", &rfiles))
		return;
	EACH(out_jarray(reply, "nodes"), i, n) {
		if ((f = confdir_fact(n, dir)) == NULL || f == rf ||
		    !json_object_object_get_ex(f, "files", &files))
			continue;
		json_object_object_foreach(rfiles, rk, rv) {
			if (!json_object_object_get_ex(files, rk, &v))
				v = NULL;
			if (v == NULL || strcmp(json_object_get_string(v),
			    json_object_get_string(rv)) != 0) {
				confdir_diff(out, dir, rk, ref,
				    json_object_get_string(rv),
				    out_jstr(n, "node"),
				    v ? json_object_get_string(v) : NULL);
				bad++;
			}
		}
		json_object_object_foreach(files, k, fv) {
			if (json_object_object_get_ex(rfiles, k, NULL))
				continue;
			confdir_diff(out, dir, k, ref, NULL,
			    out_jstr(n, "node"), json_object_get_string(fv));
			bad++;
		}
	}
	if (bad == 0) {
		msg = xasprintf("config_dir %s holds the same %d file%s on the "
		    "%d node%s that have it", dir,
		    json_object_object_length(rfiles),
		    json_object_object_length(rfiles) == 1 ? "" : "s", nodes,
		    nodes == 1 ? "" : "s");
		json_object_array_add(out, finding("ok", "config_dir", msg,
		    NULL));
		free(msg);
	}
}

static void
count(struct json_object *arr, int *err, int *warn)
{
	struct json_object	*f;
	size_t			 i;

	EACH(arr, i, f) {
		if (strcmp(out_jstr(f, "kind"), "finding") != 0)
			continue;
		if (strcmp(out_jstr(f, "level"), "error") == 0)
			(*err)++;
		else
			(*warn)++;
	}
}

static void
print_findings(FILE *fp, struct json_object *arr)
{
	struct json_object	*f;
	const char		*kind, *what;
	size_t			 i;

	EACH(arr, i, f) {
		kind = out_jstr(f, "kind");
		if (strcmp(kind, "fact") == 0)
			continue;
		what = strcmp(kind, "ok") == 0 ? "ok" : out_jstr(f, "level");
		fprintf(fp, "  %-7s  %s%s%s\n", what,
		    strcmp(out_jstr(f, "resource"), "-") ?
		    out_jstr(f, "resource") : "",
		    strcmp(out_jstr(f, "resource"), "-") ? ": " : "",
		    out_jstr(f, "message"));
		if (strcmp(out_jstr(f, "fix"), "-") != 0)
			fprintf(fp, "           fix: %s\n", out_jstr(f, "fix"));
	}
}

static int
report(const struct cli_args *a, struct json_object *reply)
{
	struct json_object	*cl = json_object_new_array(), *n;
	size_t			 i;
	int			 err = 0, warn = 0;

	cross_checks(reply, cl);
	facts_cross(reply, "keystore", keystore_cross, cl);
	facts_cross(reply, "config_dir", confdir_cross, cl);
	count(cl, &err, &warn);
	EACH(out_jarray(reply, "nodes"), i, n)
		count(out_jarray(n, "findings"), &err, &warn);
	if (a->json) {
		json_object_object_add(reply, "cluster", cl);
		json_object_object_add(reply, "errors",
		    json_object_new_int(err));
		json_object_object_add(reply, "warnings",
		    json_object_new_int(warn));
		out_json_print(stdout, reply, 1);
	} else {
		EACH(out_jarray(reply, "nodes"), i, n) {
			printf("%s:\n", out_jstr(n, "node"));
			print_findings(stdout, out_jarray(n, "findings"));
		}
		printf("cluster:\n");
		print_findings(stdout, cl);
		printf("%d error%s, %d warning%s\n", err, err == 1 ? "" : "s",
		    warn, warn == 1 ? "" : "s");
		json_object_put(cl);
	}
	return err ? EXIT_FAILED : EXIT_OK;
}

int
validate_run(const struct cli_args *a)
{
	struct json_object	*req, *reply = NULL;
	char			*paths;
	int			 r;

	req = cmd_request(a);
	r = long_call(a, req, &reply);
	if (r == 0 && (r = ctl_check(reply)) == 0) {
		paths = local_paths(reply);
		if (*paths) {
			/* Round 2: every node looks for those paths too. */
			json_object_put(reply);
			json_object_object_add(req, "check_paths",
			    json_object_new_string(paths));
			if ((r = long_call(a, req, &reply)) == 0)
				r = ctl_check(reply);
		}
		free(paths);
		if (r == 0)
			r = report(a, reply);
	}
	json_object_put(req);
	json_object_put(reply);
	return r;
}

int
validate_db_init(const struct cli_args *a)
{
	struct json_object	*req, *reply = NULL;
	int			 r;

	req = cmd_request(a);
	r = long_call(a, req, &reply);
	json_object_put(req);
	if (r == 0) {
		if (!a->json && strcmp(out_jstr(reply, "output"), "-") != 0)
			fputs(out_jstr(reply, "output"), stdout);
		/* --json: ctl_check prints a refusal, we print a success */
		if ((r = ctl_check(reply)) == 0 && a->json)
			out_json_print(stdout, reply, 1);
		if (r == 0 && !a->json)
			printf("%s: database cluster created; bring the group "
			    "online with: pgha group online %s\n", a->group,
			    a->group);
	}
	json_object_put(reply);
	return r;
}
