/*
 * keystore_cmd.c - `pgha keystore create|passwd|fingerprint|auto-open|
 * copy|status`: the node's keystore of encrypted shared storage (guide
 * 3.3), read and written through src/common/keystore.c.  All but copy run
 * locally without pghad; copy asks the local pghad to send the file, still
 * wrapped under its passphrase, to the same path on other nodes.
 *
 * A passphrase comes from the terminal (no echo; asked twice when it is
 * new) or from the first line of --passphrase-file, never from the
 * command line or the environment, and is wiped after use.  Bad input
 * exits 2 before anything is changed; a failure exits 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "keystore.h"
#include "util.h"
#include "cli.h"

#define KO_PASS		0x01	/* --passphrase-file */
#define KO_NEWPASS	0x02	/* --new-passphrase-file */
#define KO_NODE		0x04	/* NODE | --all, --force (copy) */

struct ks_args {
	const char	*path;
	const char	*pass_file;
	const char	*new_pass_file;
	int		 json;
	const char	*socket;
	const char	*node;		/* copy: NULL with --all */
	int		 all, force;
};

struct ks_cmd {
	const char	*name;
	int		 opts;
	int		(*run)(const struct ks_args *);
	const char	*synopsis;
	const char	*help;
};

/* A passphrase buffer, wiped by pass_wipe(). */
struct pass {
	char	s[KS_PASS_MAX + 2];
	size_t	len;
};

static int	ks_do_create(const struct ks_args *);
static int	ks_do_passwd(const struct ks_args *);
static int	ks_do_fingerprint(const struct ks_args *);
static int	ks_do_auto_open(const struct ks_args *);
static int	ks_do_status(const struct ks_args *);
static int	ks_do_copy(const struct ks_args *);

static const struct ks_cmd ks_cmds[] = {
	{ "create", KO_PASS, ks_do_create,
	  "[--keystore PATH] [--passphrase-file FILE]",
	  "Create the keystore with a new random master key, wrapped under a\n"
	  "passphrase (at least 8 characters).  Refuses if PATH exists.  Copy\n"
	  "the file to the same path on every node, then run 'pgha keystore\n"
	  "auto-open' on each." },
	{ "passwd", KO_PASS | KO_NEWPASS, ks_do_passwd,
	  "[--keystore PATH] [--passphrase-file OLD --new-passphrase-file NEW]",
	  "Change the keystore's passphrase.  The master key, its fingerprint\n"
	  "and automatic opening stay as they are; copy the file to every\n"
	  "node again." },
	{ "fingerprint", 0, ks_do_fingerprint, "[--keystore PATH]",
	  "Print the fingerprint of the keystore's master key (no passphrase\n"
	  "needed): the same on every node of a cluster." },
	{ "auto-open", KO_PASS, ks_do_auto_open,
	  "[--keystore PATH] [--passphrase-file FILE]",
	  "Enable automatic opening of the keystore on this node: writes\n"
	  "PATH.auto, bound to this node's identity, so that the disk of an\n"
	  "encrypted group comes online without a passphrase.  Run it on\n"
	  "every node, and again after copying a keystore with another master\n"
	  "key." },
	{ "copy", KO_NODE, ks_do_copy,
	  "NODE|--all [--keystore PATH] [--force]",
	  "Copy this node's keystore to the same path on NODE (or on every\n"
	  "other member), through the cluster's authenticated, encrypted\n"
	  "links; the file stays wrapped under its passphrase.  pghad must run\n"
	  "on both ends, and the path must be the keystore of a disk in the\n"
	  "cluster file (or the default).  A keystore with another master key\n"
	  "there is replaced only with --force (then run 'pgha keystore\n"
	  "auto-open' on that node)." },
	{ "status", 0, ks_do_status, "[--keystore PATH]",
	  "Show whether the keystore exists and is sound, its fingerprint,\n"
	  "and whether automatic opening is enabled and valid on this node.\n"
	  "Exits 1 unless both are." },
};

/* --- command line ------------------------------------------------------ */

/*
 * The position of the word "keystore" after pgha's global options, or 0
 * when the command is another one (cmd.c parses those).
 */
int
keystore_cmd_index(int argc, char **argv)
{
	int	i = cli_first_word(argc, argv);

	return i < argc && strcmp(argv[i], "keystore") == 0 ? i : 0;
}

void
keystore_usage(FILE *f)
{
	size_t	k;

	fputs("\nkeystore commands (run on a node as root; no pghad needed):\n",
	    f);
	for (k = 0; k < nitems(ks_cmds); k++)
		fprintf(f, "  keystore %s %s\n", ks_cmds[k].name,
		    ks_cmds[k].synopsis);
	fputs("\nRun 'pgha keystore COMMAND --help' for a command's details.\n",
	    f);
}

static void
family_usage(FILE *f)
{
	fputs("usage: pgha [--json] keystore COMMAND [OPTIONS]\n", f);
	keystore_usage(f);
}

static void
cmd_help_text(FILE *f, const struct ks_cmd *c)
{
	fprintf(f, "usage: pgha [--json] keystore %s %s\n\n%s\n\n", c->name,
	    c->synopsis, c->help);
	fputs("  --keystore PATH   the keystore file (default "
	    KS_DEFAULT_PATH ")\n", f);
	if (c->opts & KO_PASS)
		fprintf(f, "  --passphrase-file FILE\n                    "
		    "the %spassphrase is the first line of FILE\n"
		    "                    (default: ask on the terminal)\n",
		    c->opts & KO_NEWPASS ? "current " : "");
	if (c->opts & KO_NEWPASS)
		fputs("  --new-passphrase-file FILE\n                    "
		    "the new passphrase is the first line of FILE\n", f);
	fputs("  --json            print the result as a JSON object\n", f);
}

static int
usage(const struct ks_cmd *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
usage(const struct ks_cmd *c, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	cli_verr(fmt, ap);
	va_end(ap);
	if (c != NULL)
		fprintf(stderr, "usage: pgha [--json] keystore %s %s\n",
		    c->name, c->synopsis);
	else
		family_usage(stderr);
	return EXIT_USAGE;
}

/* --opt VALUE or --opt=VALUE: 1 and *val, 0 if not opt, -1 if no value. */
static int
opt_val(const char *opt, int argc, char **argv, int *i, const char **val)
{
	size_t	n = strlen(opt);

	if (strncmp(argv[*i], opt, n) != 0)
		return 0;
	if (argv[*i][n] == '=') {
		*val = argv[*i] + n + 1;
		return **val ? 1 : -1;
	}
	if (argv[*i][n] != '\0')
		return 0;
	if (*i + 1 >= argc || argv[*i + 1][0] == '\0')
		return -1;
	*val = argv[++*i];
	return 1;
}

/* One option at argv[*i]: 1 if taken, or an exit code (2). */
static int
parse_opt(const struct ks_cmd *c, int argc, char **argv, int *i,
    struct ks_args *a)
{
	const char	*arg = argv[*i];
	int		 r;

	if (strcmp(arg, "--json") == 0)
		return a->json = 1;
	if ((r = opt_val("--keystore", argc, argv, i, &a->path)) != 0)
		return r > 0 ? 1 : usage(c, "option '%s' needs a path", arg);
	if ((c->opts & KO_PASS) && (r = opt_val("--passphrase-file", argc,
	    argv, i, &a->pass_file)) != 0)
		return r > 0 ? 1 : usage(c, "option '%s' needs a file", arg);
	if ((c->opts & KO_NEWPASS) && (r = opt_val("--new-passphrase-file",
	    argc, argv, i, &a->new_pass_file)) != 0)
		return r > 0 ? 1 : usage(c, "option '%s' needs a file", arg);
	if ((c->opts & KO_NODE) && strcmp(arg, "--all") == 0)
		return a->all = 1;
	if ((c->opts & KO_NODE) && strcmp(arg, "--force") == 0)
		return a->force = 1;
	return usage(c, "unknown option '%s'", arg);
}

/* --- passphrases ---------------------------------------------------------- */

static void
pass_wipe(struct pass *p)
{
	OPENSSL_cleanse(p, sizeof(*p));
}

/* The first line of file, its newline (and a CR before it) removed. */
static int
pass_from_file(const char *opt, const char *file, struct pass *p)
{
	char	buf[KS_PASS_MAX + 2], *nl;
	ssize_t	n;
	size_t	got = 0, len;
	int	fd;

	if ((fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		cli_err("%s %s: %s\n", opt, file,
		    strerror(errno));
		return EXIT_USAGE;
	}
	while (got < sizeof(buf) && memchr(buf, '\n', got) == NULL) {
		if ((n = read(fd, buf + got, sizeof(buf) - got)) == -1 &&
		    errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += n;
	}
	close(fd);
	/* buf is no C string: a NUL in the line must be seen, not end it. */
	nl = memchr(buf, '\n', got);
	len = nl != NULL ? (size_t)(nl - buf) : got;
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	if (len > KS_PASS_MAX || memchr(buf, '\0', len) != NULL) {
		OPENSSL_cleanse(buf, sizeof(buf));
		cli_err("%s %s: the first line is longer than "
		    "%d bytes or holds a NUL byte\n", opt, file, KS_PASS_MAX);
		return EXIT_USAGE;
	}
	memcpy(p->s, buf, len);
	p->s[len] = '\0';
	p->len = len;
	OPENSSL_cleanse(buf, sizeof(buf));
	if (len == 0) {
		cli_err("%s %s: the first line is empty\n", opt,
		    file);
		return EXIT_USAGE;
	}
	return 0;
}

static struct termios	tty_saved;
static volatile sig_atomic_t tty_fd = -1;

/* Echo back on before dying of a signal at the prompt. */
static void
tty_restore(int sig)
{
	if (tty_fd != -1)
		tcsetattr(tty_fd, TCSANOW, &tty_saved);
	signal(sig, SIG_DFL);
	raise(sig);
}

static int
tty_read_line(int fd, const char *prompt, struct pass *p)
{
	struct termios	t;
	size_t		len = 0;
	ssize_t		n = 0;
	char		c;
	int		r = 0, echo_off;

	if (write(fd, prompt, strlen(prompt)) == -1)
		return -1;
	echo_off = tcgetattr(fd, &tty_saved) == 0;
	if (echo_off) {
		t = tty_saved;
		t.c_lflag &= ~(ECHO | ECHONL);
		t.c_lflag |= ICANON;
		tty_fd = fd;
		signal(SIGINT, tty_restore);
		signal(SIGTERM, tty_restore);
		signal(SIGHUP, tty_restore);
		signal(SIGQUIT, tty_restore);
		tcsetattr(fd, TCSANOW, &t);
	}
	for (;;) {
		if ((n = read(fd, &c, 1)) == -1 && errno == EINTR)
			continue;
		if (n <= 0 || c == '\n')
			break;
		if (len < sizeof(p->s) - 1)
			p->s[len++] = c;
		else
			r = -1;
	}
	if (echo_off) {
		tcsetattr(fd, TCSANOW, &tty_saved);
		tty_fd = -1;
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		signal(SIGQUIT, SIG_DFL);
		if (write(fd, "\n", 1) == -1)
			r = -1;
	}
	if (len > 0 && p->s[len - 1] == '\r')
		len--;
	p->s[len] = '\0';
	p->len = len;
	if (n == -1)
		return -1;
	return r;
}

/*
 * A passphrase from the file named by option opt, else from the terminal
 * (twice when confirm).  0 or an exit code, the reason printed.
 */
static int
get_pass(const char *opt, const char *file, const char *prompt, int confirm,
    struct pass *p)
{
	struct pass	again;
	char		pr[128];
	int		fd, r;

	if (file != NULL)
		return pass_from_file(opt, file, p);
	if ((fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) == -1) {
		cli_err("no terminal to ask for the %s on: give "
		    "%s FILE\n", prompt, opt);
		return EXIT_USAGE;
	}
	snprintf(pr, sizeof(pr), "%c%s: ", prompt[0] - 'a' + 'A', prompt + 1);
	r = tty_read_line(fd, pr, p);
	if (r == 0 && p->len > KS_PASS_MAX)
		r = -1;
	if (r == 0 && confirm && p->len >= KS_PASS_MIN) {
		snprintf(pr, sizeof(pr), "Repeat the %s: ", prompt);
		r = tty_read_line(fd, pr, &again);
		if (r == 0 && (again.len != p->len ||
		    CRYPTO_memcmp(again.s, p->s, p->len) != 0)) {
			close(fd);
			pass_wipe(&again);
			cli_err("the passphrases do not match; "
			    "nothing changed\n");
			return EXIT_USAGE;
		}
		pass_wipe(&again);
	}
	close(fd);
	if (r == -1) {
		cli_err("cannot read the %s from the terminal "
		    "(longer than %d bytes?)\n", prompt, KS_PASS_MAX);
		return EXIT_USAGE;
	}
	return 0;
}

/* A new passphrase must be long enough; 0 or EXIT_USAGE. */
static int
check_new(const char *opt, const char *file, const struct pass *p)
{
	if (p->len >= KS_PASS_MIN)
		return 0;
	if (file != NULL)
		cli_err("%s %s: the passphrase is too short: at "
		    "least %d characters\n", opt, file, KS_PASS_MIN);
	else
		cli_err("the passphrase is too short: at least "
		    "%d characters\n", KS_PASS_MIN);
	return EXIT_USAGE;
}

/* --- output --------------------------------------------------------------- */

static void
json_out(struct json_object *o)
{
	out_json_print(stdout, o, 1);
	json_object_put(o);
}

static void
jset(struct json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, v ? json_object_new_string(v) : NULL);
}

static void
jbool(struct json_object *o, const char *k, int v)
{
	json_object_object_add(o, k, json_object_new_boolean(v));
}

static int
failed(const char *err)
{
	cli_err("%s\n", err);
	return EXIT_FAILED;
}

/* --- commands ------------------------------------------------------------- */

static int
ks_do_create(const struct ks_args *a)
{
	struct json_object	*o;
	struct pass		 p;
	struct stat		 st;
	char			 err[512], fpr[KS_FPR_HEX];
	int			 r;

	char			*dir;

	if (lstat(a->path, &st) == 0) {
		cli_err("%s: already exists: refusing to replace "
		    "a keystore (its master key may encrypt data)\n", a->path);
		return EXIT_FAILED;
	}
	/* Before asking for a passphrase that could not be used. */
	dir = xstrdup(a->path);
	r = stat(dirname(dir), &st) == 0 && S_ISDIR(st.st_mode);
	if (!r)
		cli_err("%s: cannot create: directory %s does "
		    "not exist\n", a->path, dir);
	free(dir);
	if (!r)
		return EXIT_FAILED;
	if ((r = get_pass("--passphrase-file", a->pass_file,
	    "new keystore passphrase", 1, &p)) != 0 ||
	    (r = check_new("--passphrase-file", a->pass_file, &p)) != 0) {
		pass_wipe(&p);
		return r;
	}
	r = ks_create(a->path, p.s, p.len, err, sizeof(err));
	pass_wipe(&p);
	if (r == -1 || ks_fingerprint(a->path, fpr, err, sizeof(err)) == -1)
		return failed(err);
	if (a->json) {
		o = json_object_new_object();
		jset(o, "keystore", a->path);
		jset(o, "fingerprint", fpr);
		jbool(o, "created", 1);
		json_out(o);
	} else
		printf("created keystore %s\nfingerprint %s\nCopy it to %s on "
		    "every node, then run 'pgha keystore auto-open' on each.\n",
		    a->path, fpr, a->path);
	return EXIT_OK;
}

static int
ks_do_passwd(const struct ks_args *a)
{
	struct json_object	*o;
	struct ks_key		 key;
	struct pass		 oldp, newp;
	char			 err[512], fpr[KS_FPR_HEX];
	int			 r;

	memset(&newp, 0, sizeof(newp));
	if ((r = get_pass("--passphrase-file", a->pass_file,
	    "current keystore passphrase", 0, &oldp)) != 0)
		goto out;
	/* The old one first, so that a typo is caught before a new one. */
	if (ks_open(a->path, oldp.s, oldp.len, &key, err, sizeof(err)) == -1) {
		r = failed(err);
		goto out;
	}
	ks_key_wipe(&key);
	if ((r = get_pass("--new-passphrase-file", a->new_pass_file,
	    "new keystore passphrase", 1, &newp)) != 0 ||
	    (r = check_new("--new-passphrase-file", a->new_pass_file,
	    &newp)) != 0)
		goto out;
	if (ks_passwd(a->path, oldp.s, oldp.len, newp.s, newp.len, err,
	    sizeof(err)) == -1 ||
	    ks_fingerprint(a->path, fpr, err, sizeof(err)) == -1) {
		r = failed(err);
		goto out;
	}
	if (a->json) {
		o = json_object_new_object();
		jset(o, "keystore", a->path);
		jset(o, "fingerprint", fpr);
		jbool(o, "changed", 1);
		json_out(o);
	} else
		printf("changed the passphrase of %s\nfingerprint %s "
		    "(unchanged)\nCopy it to %s on every node; automatic "
		    "opening stays enabled.\n", a->path, fpr, a->path);
out:
	pass_wipe(&oldp);
	pass_wipe(&newp);
	return r;
}

/*
 * pgha keystore copy: the file goes to the local pghad, which multicasts
 * it; the node(s) named write it and say so (check.c, CHECK_KEYSTORE).
 */
static int
ks_do_copy(const struct ks_args *a)
{
	struct json_object	*req, *reply = NULL, *nodes, *miss;
	struct ks_header	 h;
	unsigned char		 buf[KS_FILE_LEN + 1];	/* + 1: too long */
	char			 err[512], hex[2 * KS_FILE_LEN + 1];
	int			 fd, r, rc = EXIT_OK, copied = 0;
	ssize_t			 got;
	size_t			 i;

	/* Read once; what is checked is what is sent. */
	if ((fd = open(a->path, O_RDONLY | O_CLOEXEC)) == -1) {
		cli_err("%s: %s\n", a->path, strerror(errno));
		return EXIT_FAILED;
	}
	got = read(fd, buf, sizeof(buf));
	close(fd);
	if (got < 0) {
		cli_err("%s: %s\n", a->path, strerror(errno));
		return EXIT_FAILED;
	}
	if (ks_parse(a->path, buf, (size_t)got, &h, err, sizeof(err)) == -1)
		return failed(err);
	if (h.kind != KS_KIND_PASS) {
		cli_err("%s is an automatic-opening file, not a "
		    "keystore\n", a->path);
		return EXIT_FAILED;
	}
	hex_encode(buf, KS_FILE_LEN, hex);
	OPENSSL_cleanse(buf, sizeof(buf));
	req = json_object_new_object();
	jset(req, "cmd", "keystore-copy");
	if (a->node)
		jset(req, "node", a->node);
	jset(req, "path", a->path);
	jset(req, "keystore", hex);
	jbool(req, "force", a->force);
	r = ctl_call(a->socket, req, &reply);
	json_object_put(req);
	if (r != 0)
		return r;
	if ((r = ctl_check(reply)) != 0) {
		json_object_put(reply);
		return r;
	}
	if (a->json)
		json_out(json_object_get(reply));
	if (!json_object_object_get_ex(reply, "nodes", &nodes))
		nodes = NULL;
	for (i = 0; nodes && i < json_object_array_length(nodes); i++) {
		struct json_object *n = json_object_array_get_idx(nodes, i);
		struct json_object *f, *fi, *v;
		const char *name = "?";

		if (json_object_object_get_ex(n, "node", &v))
			name = json_object_get_string(v);
		if (!json_object_object_get_ex(n, "findings", &f) ||
		    (fi = json_object_array_get_idx(f, 0)) == NULL)
			continue;
		if (json_object_object_get_ex(fi, "skipped", &v))
			continue;
		if (json_object_object_get_ex(fi, "error", &v)) {
			cli_err("%s: %s\n", name,
			    json_object_get_string(v));
			rc = EXIT_FAILED;
			continue;
		}
		copied++;
		if (a->json)
			continue;
		printf("copied %s to %s (fingerprint %s)\n", a->path, name,
		    h.fpr);
		if (json_object_object_get_ex(fi, "auto_open", &v) &&
		    !json_object_get_boolean(v))
			printf("  automatic opening is not enabled there: run "
			    "'pgha keystore auto-open' on %s\n", name);
	}
	/* Silent nodes matter only if they were to receive it. */
	if (json_object_object_get_ex(reply, "not_checked", &miss))
		for (i = 0; i < json_object_array_length(miss); i++) {
			const char *m = json_object_get_string(
			    json_object_array_get_idx(miss, i));

			if (a->node != NULL && strcmp(m, a->node) != 0)
				continue;
			cli_err("no answer from %s\n", m);
			rc = EXIT_FAILED;
		}
	if (copied == 0 && rc == EXIT_OK) {
		cli_err("no other member to copy to\n");
		rc = EXIT_FAILED;
	}
	json_object_put(reply);
	return rc;
}

static int
ks_do_fingerprint(const struct ks_args *a)
{
	struct json_object	*o;
	char			 err[512], fpr[KS_FPR_HEX];

	if (ks_fingerprint(a->path, fpr, err, sizeof(err)) == -1)
		return failed(err);
	if (a->json) {
		o = json_object_new_object();
		jset(o, "keystore", a->path);
		jset(o, "fingerprint", fpr);
		json_out(o);
	} else
		printf("%s\n", fpr);
	return EXIT_OK;
}

static int
ks_do_auto_open(const struct ks_args *a)
{
	struct json_object	*o;
	struct ks_key		 key;
	struct pass		 p;
	char			 err[512], fpr[KS_FPR_HEX], node[65];
	char			*auto_path;
	int			 r;

	if (ks_node_name(node, err, sizeof(err)) == -1 ||
	    ks_fingerprint(a->path, fpr, err, sizeof(err)) == -1)
		return failed(err);
	if ((r = get_pass("--passphrase-file", a->pass_file,
	    "keystore passphrase", 0, &p)) != 0) {
		pass_wipe(&p);
		return r;
	}
	r = ks_auto_enable(a->path, p.s, p.len, err, sizeof(err));
	pass_wipe(&p);
	if (r == -1 || ks_auto_open(a->path, &key, err, sizeof(err)) == -1)
		return failed(err);
	ks_key_wipe(&key);
	auto_path = xasprintf("%s%s", a->path, KS_AUTO_SUFFIX);
	if (a->json) {
		o = json_object_new_object();
		jset(o, "keystore", a->path);
		jset(o, "auto_open_file", auto_path);
		jset(o, "node", node);
		jset(o, "fingerprint", fpr);
		jbool(o, "auto_open", 1);
		json_out(o);
	} else
		printf("automatic opening enabled on %s: %s\nfingerprint %s\n",
		    node, auto_path, fpr);
	free(auto_path);
	return EXIT_OK;
}

/* "0600", or "0644 (readable by others: chmod 600 PATH)". */
static void
mode_text(const char *path, char *buf, size_t len)
{
	struct stat	st;

	if (stat(path, &st) == -1) {
		snprintf(buf, len, "?");
		return;
	}
	snprintf(buf, len, "%04o%s", (unsigned)(st.st_mode & 07777),
	    st.st_mode & 077 ? " (others may read it: chmod 600 it)" : "");
}

static int
ks_do_status(const struct ks_args *a)
{
	struct json_object	*o, *ao;
	struct ks_header	 h;
	struct ks_key		 key;
	struct stat		 st;
	char			 kerr[512], aerr[512], node[65], mode[64];
	char			 amode[64], nerr[256];
	char			*auto_path;
	int			 exists, ok, aexists, aok;

	auto_path = xasprintf("%s%s", a->path, KS_AUTO_SUFFIX);
	exists = stat(a->path, &st) == 0;
	ok = ks_read_header(a->path, &h, kerr, sizeof(kerr)) == 0;
	if (ok && h.kind != KS_KIND_PASS) {
		snprintf(kerr, sizeof(kerr), "%s: is an automatic-opening "
		    "file, not a keystore", a->path);
		ok = 0;
	}
	mode_text(a->path, mode, sizeof(mode));
	aexists = stat(auto_path, &st) == 0;
	aok = ks_auto_open(a->path, &key, aerr, sizeof(aerr)) == 0;
	if (aok)
		ks_key_wipe(&key);
	mode_text(auto_path, amode, sizeof(amode));
	if (ks_node_name(node, nerr, sizeof(nerr)) == -1)
		snprintf(node, sizeof(node), "?");
	if (a->json) {
		o = json_object_new_object();
		jset(o, "keystore", a->path);
		jbool(o, "exists", exists);
		jbool(o, "valid", ok);
		jset(o, "error", ok ? NULL : kerr);
		jset(o, "fingerprint", ok ? h.fpr : NULL);
		jset(o, "mode", exists ? mode : NULL);
		ao = json_object_new_object();
		jset(ao, "file", auto_path);
		jset(ao, "node", node);
		jbool(ao, "exists", aexists);
		jbool(ao, "valid", aok);
		jset(ao, "error", aok ? NULL : aerr);
		json_object_object_add(o, "auto_open", ao);
		json_out(o);
	} else {
		printf("keystore     %s\n", a->path);
		if (ok)
			printf("state        present, mode %s\nfingerprint  "
			    "%s\nkdf          scrypt N=2^%d r=%u p=%u\n", mode,
			    h.fpr, h.log2n, h.r, h.p);
		else
			printf("state        %s\n", exists ? kerr : "missing");
		if (aok)
			printf("auto-open    enabled on %s: %s, mode %s\n",
			    node, auto_path, amode);
		else
			printf("auto-open    %s on %s: %s\n", aexists ?
			    "not valid" : "not enabled", node, aerr);
	}
	free(auto_path);
	return ok && aok ? EXIT_OK : EXIT_FAILED;
}

/* --- entry ---------------------------------------------------------------- */

/* argv[i] is "keystore"; pgha's global options come before it. */
int
keystore_main(int argc, char **argv, int i)
{
	const struct ks_cmd	*c = NULL;
	struct ks_args		 a = { KS_DEFAULT_PATH, NULL, NULL, 0,
				    CLI_DEFAULT_SOCKET, NULL, 0, 0 };
	size_t			 k;
	int			 j, r;

	int			 help = 0;

	for (j = 1; j < i; j++) {
		if (strcmp(argv[j], "--json") == 0)
			a.json = 1;
		if (strcmp(argv[j], "-h") == 0 ||
		    strcmp(argv[j], "--help") == 0)
			help = 1;
		if ((strcmp(argv[j], "-s") == 0 ||
		    strcmp(argv[j], "--socket") == 0) && j + 1 < i)
			a.socket = argv[++j];
	}
	if ((help && i + 1 >= argc) || (i + 1 < argc &&
	    (strcmp(argv[i + 1], "-h") == 0 ||
	    strcmp(argv[i + 1], "--help") == 0))) {
		family_usage(stdout);
		return EXIT_OK;
	}
	if (i + 1 >= argc)
		return usage(NULL, "%s: missing subcommand", "keystore");
	for (k = 0; k < nitems(ks_cmds); k++)
		if (strcmp(argv[i + 1], ks_cmds[k].name) == 0)
			c = &ks_cmds[k];
	if (c == NULL)
		return usage(NULL, "unknown command 'keystore %s'",
		    argv[i + 1]);
	if (help) {
		cmd_help_text(stdout, c);
		return EXIT_OK;
	}
	for (j = i + 2; j < argc; j++) {
		if (strcmp(argv[j], "-h") == 0 ||
		    strcmp(argv[j], "--help") == 0) {
			cmd_help_text(stdout, c);
			return EXIT_OK;
		}
		if (argv[j][0] != '-' && (c->opts & KO_NODE) &&
		    a.node == NULL) {
			a.node = argv[j];
			continue;
		}
		if (argv[j][0] != '-')
			return usage(c, "unexpected argument '%s'", argv[j]);
		if ((r = parse_opt(c, argc, argv, &j, &a)) != 1)
			return r;
	}
	if ((c->opts & KO_NODE) && (a.node == NULL) == !a.all)
		return usage(c, "name one NODE or --all");
	if (a.new_pass_file != NULL && a.pass_file == NULL)
		return usage(c, "%s needs --passphrase-file OLD as well",
		    "--new-passphrase-file NEW");
	return c->run(&a);
}
