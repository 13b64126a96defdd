/*
 * setup.c - `pgha cluster setup NAME NODE=ADDR[,ADDR]... [--witness HOST]
 * [--no-start] [--dry-run] [--force]`: make a cluster from bare nodes.
 * Run as root on one of the nodes, it writes corosync.conf
 * (corosync_conf.c), the authkey (once), the cluster-file skeleton and,
 * with a witness, the qnetd/qdevice certificates, on every node, the
 * other nodes and the witness reached over ssh as root (BatchMode: no
 * password prompt; host keys as the user's ssh config says; $PGHA_SSH
 * replaces "ssh", e.g. "ssh -F FILE").  Then `systemctl enable --now`
 * of corosync and pghad (and corosync-qdevice) on each node.
 *
 * Every node is asked first what it holds; a file there that differs
 * from what setup would write is a refusal naming the node and the file,
 * and nothing is written anywhere (--force replaces it).  A file already
 * as setup would write it is left alone and said "up to date", so a
 * second run changes nothing.  The local authkey and cluster file, when
 * they exist, are the ones the other nodes get: re-running setup after
 * editing the cluster file does not undo the edit.  Writes are a
 * temporary file in the same directory, then a rename.
 */
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "util.h"
#include "cli.h"
#include "corosync_conf.h"

#define SETUP_COROSYNC_CONF	"/etc/corosync/corosync.conf"
#define SETUP_AUTHKEY		CS_KEYFILE
#define SETUP_PGHA_CONF		"/etc/pgha/pgha.conf"
#define SETUP_AUTHKEY_LEN	256	/* corosync-keygen's default */
#define SETUP_OUT_MAX		(1024 * 1024)
#define QD_DIR			"/etc/corosync/qdevice/net"
#define QD_DB			QD_DIR "/nssdb"
#define QN_DB			"/etc/corosync/qnetd/nssdb"

static const char synopsis[] =
    "cluster setup NAME NODE=ADDRESS[,ADDRESS]... [--witness HOST]\n"
    "                   [--no-start] [--dry-run] [--force]";

struct setup_args {
	const char	*name;
	char		**nodes;
	int		 nnodes;
	const char	*witness;
	int		 no_start, dry_run, force, json;
};

/* Where a command runs: this machine (host NULL) or root@host over ssh. */
struct target {
	const char	*label;		/* node name or "witness" */
	const char	*host;
};

/* A file setup writes: the same content on every node. */
struct sfile {
	const char	*path;
	const char	*mode;
	const char	*dirmode;
	char		*data;
	size_t		 len;
	int		 local_source;	/* taken from this node's file */
	char		 hash[65];
};

/* F_MODE: the content is right, its mode or owner is not (fixed). */
enum fstate { F_ABSENT, F_SAME, F_DIFFERS, F_MODE };

struct setup {
	struct setup_args	 a;
	struct cs_spec		 spec;
	int			 local;		/* index of this node */
	struct target		 t[CS_MAX_NODES];
	struct sfile		 f[3];
	enum fstate		 st[CS_MAX_NODES][3];
	struct json_object	*jnodes;	/* --json result */
	int			 written, same;
	struct target		 w;		/* the witness */
	enum fstate		 qd[CS_MAX_NODES];	/* qdevice certs */
};

/* --- running commands ------------------------------------------------ */

struct run {
	char	*out;
	size_t	 outlen;
	char	*err;
	int	 status;	/* exit status, or 128 + signal */
};

static void
run_free(struct run *r)
{
	free(r->out);
	free(r->err);
	memset(r, 0, sizeof(*r));
}

/* A memfd holding data (stdin), or an empty one (stdout, stderr). */
static int
memfd(const char *name, const void *data, size_t len)
{
	int	fd;

	if ((fd = memfd_create(name, MFD_CLOEXEC)) == -1)
		return -1;
	if (len > 0 && (write(fd, data, len) != (ssize_t)len ||
	    lseek(fd, 0, SEEK_SET) == -1)) {
		close(fd);
		return -1;
	}
	return fd;
}

static char *
memfd_read(int fd, size_t *len)
{
	char	*buf;
	off_t	 n = lseek(fd, 0, SEEK_END);
	ssize_t	 got;

	if (n < 0)
		n = 0;
	if (n > SETUP_OUT_MAX)
		n = SETUP_OUT_MAX;
	buf = xcalloc(1, (size_t)n + 1);
	got = n > 0 ? pread(fd, buf, (size_t)n, 0) : 0;
	if (got < 0)
		got = 0;
	buf[got] = '\0';
	if (len != NULL)
		*len = (size_t)got;
	return buf;
}

/* 'text' with every ' as '\'' : one word for the far side's shell. */
static void
shquote(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s != '\0'; s++)
		if (*s == '\'')
			fputs("'\\''", f);
		else
			fputc(*s, f);
	fputc('\'', f);
}

/* The argv that runs "sh -c script sh args..." on target t. */
static char **
run_argv(const struct target *t, const char *script, char *const args[])
{
	char		**av = xcalloc(64, sizeof(*av)), *cmd = NULL, *ssh, *w;
	char		 *save = NULL;
	size_t		  n = 0, clen = 0, i;
	FILE		 *f;

	if (t->host == NULL) {
		av[n++] = xstrdup("/bin/sh");
		av[n++] = xstrdup("-c");
		av[n++] = xstrdup(script);
		av[n++] = xstrdup("sh");
		for (i = 0; args[i] != NULL && n < 62; i++)
			av[n++] = xstrdup(args[i]);
		return av;
	}
	ssh = xstrdup(getenv("PGHA_SSH") && *getenv("PGHA_SSH") ?
	    getenv("PGHA_SSH") : "ssh");
	for (w = strtok_r(ssh, " \t", &save); w != NULL && n < 48;
	    w = strtok_r(NULL, " \t", &save))
		av[n++] = xstrdup(w);
	free(ssh);
	if ((f = open_memstream(&cmd, &clen)) == NULL)
		abort();
	fputs("sh -c ", f);
	shquote(f, script);
	fputs(" sh", f);
	for (i = 0; args[i] != NULL; i++) {
		fputc(' ', f);
		shquote(f, args[i]);
	}
	fclose(f);
	av[n++] = xstrdup("-o");
	av[n++] = xstrdup("BatchMode=yes");
	av[n++] = xstrdup("-o");
	av[n++] = xstrdup("ConnectTimeout=10");
	av[n++] = xstrdup("-l");
	av[n++] = xstrdup("root");
	av[n++] = xstrdup("--");
	av[n++] = xstrdup(t->host);
	av[n++] = cmd;
	return av;
}

/*
 * Run script on t with args, in on stdin; its output in r.  Returns 0
 * when it ran (r->status says how it ended), -1 when it could not start.
 */
static int
run_on(const struct target *t, const char *script, char *const args[],
    const void *in, size_t inlen, struct run *r)
{
	char	**av;
	int	  fds[3], i, status;
	pid_t	  pid;

	memset(r, 0, sizeof(*r));
	fds[0] = memfd("stdin", in, inlen);
	fds[1] = memfd("stdout", NULL, 0);
	fds[2] = memfd("stderr", NULL, 0);
	if (fds[0] == -1 || fds[1] == -1 || fds[2] == -1) {
		for (i = 0; i < 3; i++)
			if (fds[i] != -1)
				close(fds[i]);
		return -1;
	}
	av = run_argv(t, script, args);
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) == 0) {
		for (i = 0; i < 3; i++)
			if (dup2(fds[i], i) == -1)
				_exit(126);
		execvp(av[0], av);
		fprintf(stderr, "cannot run %s: %s\n", av[0], strerror(errno));
		_exit(127);
	}
	for (i = 0; av[i] != NULL; i++)
		free(av[i]);
	free(av);
	while (pid > 0 && waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	r->out = memfd_read(fds[1], &r->outlen);
	r->err = memfd_read(fds[2], NULL);
	for (i = 0; i < 3; i++)
		close(fds[i]);
	if (pid == -1)
		return -1;
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) :
	    128 + WTERMSIG(status);
	return 0;
}

/* The last line of a command's stderr, for a message. */
static const char *
last_line(char *s)
{
	size_t	n = strlen(s);
	char	*p;

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
	p = strrchr(s, '\n');
	return n == 0 ? "(no message)" : p != NULL ? p + 1 : s;
}

/*
 * Run and insist on exit 0; on failure say which machine and what, and
 * how ssh is meant to work.  Returns 0 or an exit code.
 */
static int
run_ok(const struct target *t, const char *what, const char *script,
    char *const args[], const void *in, size_t inlen, struct run *r)
{
	if (run_on(t, script, args, in, inlen, r) == -1) {
		cli_err("%s: cannot run %s: %s\n", t->label, what,
		    strerror(errno));
		return EXIT_FAILED;
	}
	if (r->status == 0)
		return 0;
	if (t->host != NULL && r->status == 255) {
		cli_err("%s: ssh root@%s failed: %s (setup needs root's ssh "
		    "to every node without a password: docs/deploy.md)\n",
		    t->label, t->host, last_line(r->err));
		run_free(r);
		return EXIT_UNREACHABLE;
	}
	cli_err("%s: %s failed (exit %d): %s\n", t->label, what, r->status,
	    last_line(r->err));
	run_free(r);
	return EXIT_FAILED;
}

/* Run script on t, insisting on success; its output dropped. */
static int
run_do(const struct target *t, const char *what, const char *script,
    char *const args[])
{
	struct run	r;
	int		rc;

	if ((rc = run_ok(t, what, script, args, NULL, 0, &r)) == 0)
		run_free(&r);
	return rc;
}

/* --- the far side's scripts ----------------------------------------- */

/*
 * args: paths.  One line each: "SHA256 MODE:OWNER:GROUP PATH" or
 * "absent - PATH".  A conffile as its package shipped it (Debian's corosync installs an
 * example corosync.conf) holds nothing of the operator's: it counts as
 * absent, so that setup on freshly installed nodes needs no --force.
 */
static const char probe_sh[] =
    "shipped() {\n"
    "	s=$(dpkg-query -W -f '${Conffiles}\\n' 2>/dev/null |\n"
    "	    awk -v f=\"$1\" '$1 == f { print $2; exit }')\n"
    "	[ -n \"$s\" ] && [ \"$(md5sum <\"$1\" | cut -d' ' -f1)\" = \"$s\" ]\n"
    "}\n"
    "for f; do\n"
    "	if [ -e \"$f\" ] && ! shipped \"$f\"; then\n"
    "		h=$(sha256sum <\"$f\") || exit 1\n"
    "		m=$(stat -c %a:%U:%G \"$f\") || exit 1\n"
    "		echo \"${h%% *} $m $f\"\n"
    "	else\n"
    "		echo \"absent - $f\"\n"
    "	fi\n"
    "done\n";

/* args: path mode dirmode; stdin: the content.  Atomic: temp + rename. */
static const char put_sh[] =
    "set -e\n"
    "f=$1 d=$(dirname \"$1\")\n"
    "[ -d \"$d\" ] || mkdir -p -m \"$3\" \"$d\"\n"
    "t=$(mktemp \"$f.pgha-XXXXXX\")\n"
    "trap 'rm -f \"$t\"' EXIT\n"
    "cat >\"$t\"\n"
    "chown root:root \"$t\"\n"
    "chmod \"$2\" \"$t\"\n"
    "sync \"$t\" 2>/dev/null || sync\n"
    "mv -f \"$t\" \"$f\"\n"
    "trap - EXIT\n";

/* --- command line ----------------------------------------------------- */

int
setup_cmd_index(int argc, char **argv)
{
	int	i = cli_first_word(argc, argv);

	return i + 1 < argc && strcmp(argv[i], "cluster") == 0 &&
	    strcmp(argv[i + 1], "setup") == 0 ? i : 0;
}

void
setup_usage(FILE *f)
{
	fprintf(f, "\nset up a cluster (as root on one node; no pghad "
	    "needed):\n  %s\n", synopsis);
}

static void
help(FILE *f)
{
	fprintf(f, "usage: pgha [--json] %s\n\n", synopsis);
	fputs("Write corosync.conf (knet, aes256/sha256, the timings of\n"
	    "docs/deploy.md), the authkey (once), the cluster-file skeleton\n"
	    "/etc/pgha/pgha.conf and, with a witness, the qnetd/qdevice\n"
	    "certificates, on every node: this one and the others over ssh as\n"
	    "root ($PGHA_SSH replaces \"ssh\").  Then enable and start corosync\n"
	    "and pghad (and corosync-qdevice) there.  A file that differs on a\n"
	    "node is a refusal and nothing is written; a second run changes\n"
	    "nothing.\n\n", f);
	fputs("  NAME              the cluster's name\n"
	    "  NODE=ADDRESS,...  a node and its address on each heartbeat "
	    "link\n"
	    "  --witness HOST    corosync-qnetd's machine (a vote for two "
	    "nodes)\n"
	    "  --no-start        write the files only\n"
	    "  --dry-run         print the files; change and contact nothing\n"
	    "  --force           replace files that differ\n"
	    "  --json            print the result as a JSON object\n", f);
}

static int
usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
usage(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	cli_verr(fmt, ap);
	va_end(ap);
	fprintf(stderr, "usage: pgha [--json] %s\n", synopsis);
	return EXIT_USAGE;
}

/* Returns 0, -1 for --help (done), or an exit code. */
static int
parse(int argc, char **argv, int i, struct setup_args *a)
{
	int	opts_done = 0;

	memset(a, 0, sizeof(*a));
	a->nodes = xcalloc((size_t)argc, sizeof(*a->nodes));
	a->json = cli_json;
	for (i += 2; i < argc; i++) {
		const char	*arg = argv[i];

		if (!opts_done && arg[0] == '-') {
			if (strcmp(arg, "--") == 0)
				opts_done = 1;
			else if (strcmp(arg, "-h") == 0 ||
			    strcmp(arg, "--help") == 0) {
				help(stdout);
				return -1;
			} else if (strcmp(arg, "--json") == 0)
				a->json = 1;
			else if (strcmp(arg, "--no-start") == 0)
				a->no_start = 1;
			else if (strcmp(arg, "--dry-run") == 0)
				a->dry_run = 1;
			else if (strcmp(arg, "--force") == 0)
				a->force = 1;
			else if (strncmp(arg, "--witness=", 10) == 0)
				a->witness = arg + 10;
			else if (strcmp(arg, "--witness") == 0) {
				if (++i >= argc)
					return usage("option '--witness' "
					    "needs a host");
				a->witness = argv[i];
			} else
				return usage("cluster setup: unknown option "
				    "'%s'", arg);
			continue;
		}
		if (a->name == NULL)
			a->name = arg;
		else
			a->nodes[a->nnodes++] = argv[i];
	}
	if (a->name == NULL)
		return usage("cluster setup: missing NAME and the nodes");
	return 0;
}

/* --- this node, the files --------------------------------------------- */

static int
same_addr(const struct sockaddr *sa, const char *addr)
{
	unsigned char	b[16];

	if (sa->sa_family == AF_INET && inet_pton(AF_INET, addr, b) == 1)
		return memcmp(&((const struct sockaddr_in *)sa)->sin_addr,
		    b, 4) == 0;
	if (sa->sa_family == AF_INET6 && inet_pton(AF_INET6, addr, b) == 1)
		return memcmp(&((const struct sockaddr_in6 *)sa)->sin6_addr,
		    b, 16) == 0;
	return 0;
}

/* The node one of whose addresses this machine has, or -1. */
static int
local_node(const struct cs_spec *s)
{
	struct ifaddrs	*ifa, *p;
	int		 i, k, found = -1;

	if (getifaddrs(&ifa) == -1)
		return -1;
	for (i = 0; i < s->nnodes && found == -1; i++)
		for (k = 0; k < s->nlinks && found == -1; k++)
			for (p = ifa; p != NULL; p = p->ifa_next)
				if (p->ifa_addr != NULL &&
				    same_addr(p->ifa_addr,
				    s->nodes[i].addr[k])) {
					found = i;
					break;
				}
	freeifaddrs(ifa);
	return found;
}

/* A local file's content, or NULL (errno ENOENT if it is not there). */
static char *
read_file(const char *path, size_t *len)
{
	struct stat	 st;
	char		*buf;
	ssize_t		 n;
	size_t		 got = 0;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > SETUP_OUT_MAX) {
		close(fd);
		errno = EINVAL;
		return NULL;
	}
	buf = xcalloc(1, (size_t)st.st_size + 1);
	while (got < (size_t)st.st_size &&
	    (n = read(fd, buf + got, (size_t)st.st_size - got)) > 0)
		got += (size_t)n;
	close(fd);
	*len = got;
	return buf;
}

static void
sfile_set(struct sfile *f, const char *path, const char *mode,
    const char *dirmode, char *data, size_t len, int local)
{
	f->path = path;
	f->mode = mode;
	f->dirmode = dirmode;
	f->data = data;
	f->len = len;
	f->local_source = local;
	sha256_hex(data, len, f->hash);
}

/*
 * The three files.  The authkey and the cluster file of this node, when
 * it has them, are the cluster's; otherwise a new key and the skeleton.
 */
static int
make_files(struct setup *s)
{
	char	*d;
	size_t	 len;

	d = cs_corosync_conf(&s->spec);
	sfile_set(&s->f[0], SETUP_COROSYNC_CONF, "0644", "0755", d,
	    strlen(d), 0);
	if ((d = read_file(SETUP_AUTHKEY, &len)) != NULL)
		sfile_set(&s->f[1], SETUP_AUTHKEY, "0400", "0755", d, len, 1);
	else if (errno != ENOENT) {
		cli_err("%s: %s: move it away, or make it the cluster's key "
		    "(corosync-keygen)\n", SETUP_AUTHKEY, strerror(errno));
		return EXIT_FAILED;
	} else {
		d = xmalloc(SETUP_AUTHKEY_LEN);
		if (getrandom(d, SETUP_AUTHKEY_LEN, 0) != SETUP_AUTHKEY_LEN) {
			cli_err("getrandom: %s\n", strerror(errno));
			free(d);
			return EXIT_FAILED;
		}
		sfile_set(&s->f[1], SETUP_AUTHKEY, "0400", "0755", d,
		    SETUP_AUTHKEY_LEN, 0);
	}
	if ((d = read_file(SETUP_PGHA_CONF, &len)) != NULL)
		sfile_set(&s->f[2], SETUP_PGHA_CONF, "0600", "0755", d, len, 1);
	else if (errno != ENOENT) {
		cli_err("%s: %s\n", SETUP_PGHA_CONF, strerror(errno));
		return EXIT_FAILED;
	} else {
		d = cs_pgha_conf(&s->spec);
		sfile_set(&s->f[2], SETUP_PGHA_CONF, "0600", "0755", d,
		    strlen(d), 0);
	}
	return 0;
}

/* --- the steps ---------------------------------------------------------- */

static struct json_object *
jnode(struct setup *s, int i)
{
	return json_object_array_get_idx(s->jnodes, (size_t)i);
}

static void
jfile(struct setup *s, int i, const char *path, const char *result)
{
	struct json_object	*files, *o;

	json_object_object_get_ex(jnode(s, i), "files", &files);
	o = json_object_new_object();
	json_object_object_add(o, "path", json_object_new_string(path));
	json_object_object_add(o, "result", json_object_new_string(result));
	json_object_array_add(files, o);
}

static void
say(const struct setup *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
say(const struct setup *s, const char *fmt, ...)
{
	va_list	ap;

	if (s->a.json)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

/* Ask every node what it holds; nothing is written yet. */
static int
probe(struct setup *s)
{
	char		*args[4], *line, *save = NULL, hash[80], path[256];
	char		 mode[80], want[80];
	struct run	 r;
	int		 i, k, rc;

	for (k = 0; k < 3; k++)
		args[k] = (char *)s->f[k].path;
	args[3] = NULL;
	for (i = 0; i < s->spec.nnodes; i++) {
		if ((rc = run_ok(&s->t[i], "reading its files", probe_sh,
		    args, NULL, 0, &r)) != 0)
			return rc;
		for (k = 0; k < 3; k++)
			s->st[i][k] = F_ABSENT;
		for (line = strtok_r(r.out, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save)) {
			if (sscanf(line, "%79s %79s %255s", hash, mode,
			    path) != 3)
				continue;
			for (k = 0; k < 3; k++) {
				if (strcmp(path, s->f[k].path) != 0 ||
				    strcmp(hash, "absent") == 0)
					continue;
				snprintf(want, sizeof(want), "%s:root:root",
				    s->f[k].mode + 1);
				s->st[i][k] = strcmp(hash, s->f[k].hash) != 0 ?
				    F_DIFFERS : strcmp(mode, want) != 0 ?
				    F_MODE : F_SAME;
			}
		}
		run_free(&r);
	}
	return 0;
}

/* Files that differ, without --force: each named, exit 1. */
static int
conflicts(struct setup *s)
{
	struct json_object	*arr = json_object_new_array(), *o;
	char			 src[128];
	int			 i, k, n = 0;

	for (i = 0; i < s->spec.nnodes; i++)
		for (k = 0; k < 3; k++) {
			if (s->st[i][k] != F_DIFFERS)
				continue;
			if (s->f[k].local_source)
				snprintf(src, sizeof(src), "%s's, which setup "
				    "copies", s->t[s->local].label);
			else
				snprintf(src, sizeof(src), "what setup writes");
			cli_err("%s: %s differs from %s; nothing was "
			    "changed on any node (see 'pgha cluster setup "
			    "--dry-run ...'; --force replaces it)\n",
			    s->t[i].label, s->f[k].path, src);
			o = json_object_new_object();
			json_object_object_add(o, "node",
			    json_object_new_string(s->t[i].label));
			json_object_object_add(o, "path",
			    json_object_new_string(s->f[k].path));
			json_object_array_add(arr, o);
			n++;
		}
	if (n > 0)
		cli_err_detail("differs", arr);
	json_object_put(arr);
	return n > 0 ? EXIT_FAILED : 0;
}

static int
write_files(struct setup *s)
{
	static const char *const result[] = {
		[F_ABSENT] = "written", [F_DIFFERS] = "replaced",
		[F_MODE] = "mode and owner set", [F_SAME] = "up to date",
	};
	static const char *const jresult[] = {
		[F_ABSENT] = "written", [F_DIFFERS] = "replaced",
		[F_MODE] = "mode-set", [F_SAME] = "up-to-date",
	};
	struct run	 r;
	char		*args[4], *what;
	int		 i, k, rc;

	for (i = 0; i < s->spec.nnodes; i++)
		for (k = 0; k < 3; k++) {
			if (s->st[i][k] == F_SAME) {
				say(s, "%s: %s up to date\n", s->t[i].label,
				    s->f[k].path);
				jfile(s, i, s->f[k].path, "up-to-date");
				s->same++;
				continue;
			}
			args[0] = (char *)s->f[k].path;
			args[1] = (char *)s->f[k].mode;
			args[2] = (char *)s->f[k].dirmode;
			args[3] = NULL;
			what = xasprintf("writing %s", s->f[k].path);
			rc = run_ok(&s->t[i], what, put_sh, args, s->f[k].data,
			    s->f[k].len, &r);
			free(what);
			if (rc != 0)
				return rc;
			run_free(&r);
			say(s, "%s: %s %s%s\n", s->t[i].label, s->f[k].path,
			    result[s->st[i][k]], s->st[i][k] == F_DIFFERS &&
			    k == 0 ? " (a running corosync keeps the old one "
			    "until 'corosync-cfgtool -R' or a restart)" : "");
			jfile(s, i, s->f[k].path, jresult[s->st[i][k]]);
			s->written++;
		}
	return 0;
}

/* systemctl enable --now: qnetd on the witness, then every node's. */
static int
start(struct setup *s)
{
	char		*args[] = { NULL };
	const char	*units = s->spec.witness[0] ?
			    "corosync corosync-qdevice pghad" :
			    "corosync pghad";
	char		*script;
	int		 i, rc = 0;

	if (s->spec.witness[0] != '\0') {
		if ((rc = run_do(&s->w, "starting corosync-qnetd",
		    "systemctl enable --now corosync-qnetd", args)) != 0)
			return rc;
		say(s, "witness: corosync-qnetd enabled and started\n");
	}
	script = xasprintf("systemctl enable --now %s", units);
	for (i = 0; i < s->spec.nnodes && rc == 0; i++) {
		if ((rc = run_do(&s->t[i], script, script, args)) != 0)
			break;
		say(s, "%s: %s enabled and started\n", s->t[i].label, units);
		json_object_object_add(jnode(s, i), "started",
		    json_object_new_boolean(1));
	}
	free(script);
	return rc;
}

/* --- witness: qnetd and qdevice certificates ---------------------------- */

/*
 * The NSS databases as corosync-qdevice-net-certutil(8) describes for a
 * cluster set up by hand (tests/lab/lab, witness_tls_setup): qnetd makes
 * a CA and its server certificate; every node imports the CA; this node
 * has its cluster certificate signed by the CA; the others import this
 * node's PKCS#12 file.  A node whose database holds the cluster
 * certificate is up to date; one with a database but no certificate
 * (a set-up that stopped half-way, another cluster's) differs.
 */
static const char qd_probe_sh[] =
    "certutil -d " QD_DB " -L -n 'Cluster Cert' >/dev/null 2>&1 &&\n"
    "    { echo ready; exit 0; }\n"
    "[ -e " QD_DB " ] && { echo partial; exit 0; }\n"
    "echo absent\n";

/* The first line says whether the CA was made now; the CA follows. */
static const char qn_ca_sh[] =
    "set -e\n"
    "if [ -e " QN_DB "/qnetd-cacert.crt ]; then echo kept; else\n"
    "	corosync-qnetd-certutil -i >&2; echo made\n"
    "fi\n"
    "cat " QN_DB "/qnetd-cacert.crt\n";

/* args: cluster force; the CA in QD_DIR/pgha-qnetd-cacert.crt. */
static const char qd_request_sh[] =
    "set -e\n"
    "[ \"$2\" = 1 ] && rm -rf " QD_DB "\n"
    "corosync-qdevice-net-certutil -i -c " QD_DIR "/pgha-qnetd-cacert.crt"
    " >&2\n"
    "corosync-qdevice-net-certutil -r -n \"$1\" >&2\n"
    "cat " QD_DB "/qdevice-net-node.crq\n";

/* args: cluster; stdin: the request. */
static const char qn_sign_sh[] =
    "set -e\n"
    "t=$(mktemp " QN_DB "/pgha-XXXXXX.crq)\n"
    "trap 'rm -f \"$t\"' EXIT\n"
    "cat >\"$t\"\n"
    "corosync-qnetd-certutil -s -c \"$t\" -n \"$1\" >&2\n"
    "cat " QN_DB "/cluster-\"$1\".crt\n";

static const char qd_import_sh[] =
    "set -e\n"
    "corosync-qdevice-net-certutil -M -c " QD_DIR "/pgha-cluster.crt >&2\n"
    "cat " QD_DB "/qdevice-net-node.p12\n";

/* args: force; the CA and PKCS#12 file put in QD_DIR before. */
static const char qd_join_sh[] =
    "set -e\n"
    "[ \"$1\" = 1 ] && rm -rf " QD_DB "\n"
    "corosync-qdevice-net-certutil -i -c " QD_DIR "/pgha-qnetd-cacert.crt"
    " >&2\n"
    "corosync-qdevice-net-certutil -m -c " QD_DIR "/pgha-node.p12 >&2\n"
    "rm -f " QD_DIR "/pgha-node.p12\n";

static int
qd_probe(struct setup *s)
{
	char		*args[] = { NULL };
	struct run	 r;
	int		 i, rc;

	for (i = 0; i < s->spec.nnodes; i++) {
		if ((rc = run_ok(&s->t[i], "reading its qdevice certificates",
		    qd_probe_sh, args, NULL, 0, &r)) != 0)
			return rc;
		s->qd[i] = strncmp(r.out, "ready", 5) == 0 ? F_SAME :
		    strncmp(r.out, "partial", 7) == 0 ? F_DIFFERS : F_ABSENT;
		run_free(&r);
		if (s->qd[i] == F_DIFFERS && !s->a.force)
			cli_err("%s: %s holds no cluster certificate (a "
			    "set-up that stopped half-way?); nothing was "
			    "changed on any node (--force makes it again)\n",
			    s->t[i].label, QD_DB);
	}
	return 0;
}

/* Put data in path on t (atomic, root's, mode). */
static int
put(const struct target *t, const char *path, const char *mode,
    const void *data, size_t len)
{
	char		*args[] = { (char *)path, (char *)mode, "0755", NULL };
	char		*what = xasprintf("writing %s", path);
	struct run	 r;
	int		 rc;

	rc = run_ok(t, what, put_sh, args, data, len, &r);
	free(what);
	if (rc == 0)
		run_free(&r);
	return rc;
}

/* Run script on t; its stdout (length in *len) into *out. */
static int
fetch(const struct target *t, const char *what, const char *script,
    char *const args[], const void *in, size_t inlen, char **out,
    size_t *len)
{
	struct run	r;
	int		rc;

	if ((rc = run_ok(t, what, script, args, in, inlen, &r)) != 0)
		return rc;
	*out = r.out;
	*len = r.outlen;
	r.out = NULL;
	run_free(&r);
	return 0;
}

/* This node's PKCS#12 file: made now (request, signature) or before. */
static int
qd_local(struct setup *s, const char *ca, size_t calen, char **p12,
    size_t *p12len)
{
	const struct target	*me = &s->t[s->local];
	char			*args[3], *crq = NULL, *crt = NULL;
	size_t			 crqlen, crtlen;
	int			 rc;

	if (s->qd[s->local] == F_SAME) {
		char *cat[] = { NULL };

		say(s, "%s: qdevice certificates up to date\n", me->label);
		jfile(s, s->local, QD_DB, "up-to-date");
		s->same++;
		return fetch(me, "reading " QD_DB "/qdevice-net-node.p12",
		    "cat " QD_DB "/qdevice-net-node.p12", cat, NULL, 0, p12,
		    p12len);
	}
	args[0] = s->spec.cluster;
	args[1] = s->qd[s->local] == F_DIFFERS ? "1" : "0";
	args[2] = NULL;
	if ((rc = put(me, QD_DIR "/pgha-qnetd-cacert.crt", "0644", ca,
	    calen)) != 0 || (rc = fetch(me, "the certificate request",
	    qd_request_sh, args, NULL, 0, &crq, &crqlen)) != 0)
		return rc;
	args[1] = NULL;
	rc = fetch(&s->w, "signing the cluster certificate", qn_sign_sh,
	    args, crq, crqlen, &crt, &crtlen);
	free(crq);
	if (rc == 0 && (rc = put(me, QD_DIR "/pgha-cluster.crt", "0644", crt,
	    crtlen)) == 0) {
		args[0] = NULL;
		rc = fetch(me, "importing the cluster certificate",
		    qd_import_sh, args, NULL, 0, p12, p12len);
	}
	free(crt);
	if (rc == 0) {
		say(s, "%s: qdevice certificates made\n", me->label);
		jfile(s, s->local, QD_DB, "written");
		s->written++;
	}
	return rc;
}

static int
setup_witness(struct setup *s)
{
	char	*args[2] = { NULL, NULL }, *ca = NULL, *p12 = NULL, *nl;
	size_t	 calen, p12len;
	int	 i, rc, all = 1;

	for (i = 0; i < s->spec.nnodes; i++)
		all &= s->qd[i] == F_SAME;
	if (all) {
		for (i = 0; i < s->spec.nnodes; i++) {
			say(s, "%s: qdevice certificates up to date\n",
			    s->t[i].label);
			jfile(s, i, QD_DB, "up-to-date");
			s->same++;
		}
		return 0;
	}
	if ((rc = fetch(&s->w, "the qnetd CA", qn_ca_sh, args, NULL, 0, &ca,
	    &calen)) != 0)
		return rc;
	if ((nl = memchr(ca, '\n', calen)) == NULL) {
		cli_err("witness: no qnetd CA certificate in %s\n", QN_DB);
		free(ca);
		return EXIT_FAILED;
	}
	say(s, "witness: qnetd certificate authority %s\n",
	    strncmp(ca, "made", 4) == 0 ? "made" : "up to date");
	calen -= (size_t)(nl + 1 - ca);
	memmove(ca, nl + 1, calen);
	if ((rc = qd_local(s, ca, calen, &p12, &p12len)) != 0)
		goto out;
	for (i = 0; i < s->spec.nnodes; i++) {
		if (i == s->local)
			continue;
		if (s->qd[i] == F_SAME) {
			say(s, "%s: qdevice certificates up to date\n",
			    s->t[i].label);
			jfile(s, i, QD_DB, "up-to-date");
			s->same++;
			continue;
		}
		args[0] = s->qd[i] == F_DIFFERS ? "1" : "0";
		if ((rc = put(&s->t[i], QD_DIR "/pgha-qnetd-cacert.crt",
		    "0644", ca, calen)) != 0 || (rc = put(&s->t[i],
		    QD_DIR "/pgha-node.p12", "0600", p12, p12len)) != 0 ||
		    (rc = run_do(&s->t[i], "importing the certificates",
		    qd_join_sh, args)) != 0)
			goto out;
		say(s, "%s: qdevice certificates imported\n", s->t[i].label);
		jfile(s, i, QD_DB, s->qd[i] == F_DIFFERS ? "replaced" :
		    "written");
		s->written++;
	}
out:
	free(ca);
	if (p12 != NULL)
		OPENSSL_cleanse(p12, p12len);
	free(p12);
	return rc;
}

static int
dry_run(struct setup *s)
{
	struct json_object	*o;
	char			*cs = cs_corosync_conf(&s->spec);
	char			*pc = cs_pgha_conf(&s->spec);

	if (s->a.json) {
		o = json_object_new_object();
		json_object_object_add(o, "ok", json_object_new_boolean(1));
		json_object_object_add(o, "cluster",
		    json_object_new_string(s->spec.cluster));
		json_object_object_add(o, "corosync_conf",
		    json_object_new_string(cs));
		json_object_object_add(o, "pgha_conf",
		    json_object_new_string(pc));
		out_json_print(stdout, o, 1);
		json_object_put(o);
	} else
		printf("# %s\n%s\n# %s (unless the node has one)\n%s",
		    SETUP_COROSYNC_CONF, cs, SETUP_PGHA_CONF, pc);
	free(cs);
	free(pc);
	return 0;
}

static void
setup_init_json(struct setup *s)
{
	struct json_object	*o;
	int			 i;

	s->jnodes = json_object_new_array();
	for (i = 0; i < s->spec.nnodes; i++) {
		o = json_object_new_object();
		json_object_object_add(o, "name",
		    json_object_new_string(s->spec.nodes[i].name));
		json_object_object_add(o, "local",
		    json_object_new_boolean(i == s->local));
		json_object_object_add(o, "files", json_object_new_array());
		json_object_array_add(s->jnodes, o);
	}
}

static void
done(struct setup *s)
{
	struct json_object	*o;

	if (!s->a.json) {
		if (s->written == 0)
			printf("cluster %s: every file up to date on %d "
			    "nodes; nothing changed\n", s->spec.cluster,
			    s->spec.nnodes);
		else
			printf("cluster %s: %d file%s written, %d up to date "
			    "on %d nodes\n", s->spec.cluster, s->written,
			    s->written == 1 ? "" : "s", s->same,
			    s->spec.nnodes);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "cluster",
	    json_object_new_string(s->spec.cluster));
	json_object_object_add(o, "written", json_object_new_int(s->written));
	json_object_object_add(o, "up_to_date", json_object_new_int(s->same));
	json_object_object_add(o, "nodes", json_object_get(s->jnodes));
	out_json_print(stdout, o, 1);
	json_object_put(o);
}

static int
setup_run(struct setup *s)
{
	int	i, rc;

	if (s->a.dry_run)
		return dry_run(s);
	if (geteuid() != 0) {
		cli_err("cluster setup writes /etc/corosync and /etc/pgha on "
		    "every node: run it as root (sudo pgha cluster setup "
		    "...)\n");
		return EXIT_PERM;
	}
	if ((s->local = local_node(&s->spec)) == -1) {
		cli_err("this machine has none of the nodes' addresses: run "
		    "cluster setup on one of the nodes\n");
		return EXIT_USAGE;
	}
	for (i = 0; i < s->spec.nnodes; i++) {
		s->t[i].label = s->spec.nodes[i].name;
		s->t[i].host = i == s->local ? NULL : s->spec.nodes[i].addr[0];
	}
	s->w.label = "witness";
	s->w.host = s->spec.witness;
	setup_init_json(s);
	if ((rc = make_files(s)) != 0 || (rc = probe(s)) != 0)
		return rc;
	if (s->spec.witness[0] != '\0' && (rc = qd_probe(s)) != 0)
		return rc;
	if (!s->a.force) {
		rc = conflicts(s);
		for (i = 0; i < s->spec.nnodes; i++)
			if (s->qd[i] == F_DIFFERS)
				rc = EXIT_FAILED;
		if (rc != 0)
			return rc;
	}
	if ((rc = write_files(s)) != 0)
		return rc;
	if (s->spec.witness[0] != '\0' && (rc = setup_witness(s)) != 0)
		return rc;
	if (!s->a.no_start && (rc = start(s)) != 0)
		return rc;
	done(s);
	return 0;
}

int
setup_main(int argc, char **argv, int i)
{
	struct setup	*s = xcalloc(1, sizeof(*s));
	char		 err[512];
	int		 rc, k;

	if ((rc = parse(argc, argv, i, &s->a)) != 0) {
		free(s->a.nodes);
		free(s);
		return rc == -1 ? 0 : rc;
	}
	if (cs_spec_build(&s->spec, s->a.name, s->a.nodes, s->a.nnodes,
	    s->a.witness, err, sizeof(err)) == -1)
		rc = usage("cluster setup: %s", err);
	else
		rc = setup_run(s);
	for (k = 0; k < 3; k++) {
		if (s->f[k].data != NULL)
			OPENSSL_cleanse(s->f[k].data, s->f[k].len);
		free(s->f[k].data);
	}
	json_object_put(s->jnodes);
	free(s->a.nodes);
	free(s);
	return rc;
}
