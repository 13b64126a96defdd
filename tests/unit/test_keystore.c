/*
 * test_keystore.c - unit tests of keystore.c in a temporary directory:
 * create and open, wrong passphrase, every region of a damaged file,
 * passwd, the fingerprint without the passphrase, automatic opening on
 * this node and on "another node" (an injected identity), and that a
 * failed call changes no file.
 */
#include <errno.h>
#include <stdarg.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "keystore.h"
#include "tap.h"

#define PASS	"correct horse battery"
#define PASS2	"another passphrase"

static char	dir[64];
static char	err[512];

static char *
path_of(const char *name)
{
	static char	p[16][128];
	static int	i;

	i = (i + 1) % 16;
	snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
	return p[i];
}

/* Whole file into buf; its length, or -1. */
static ssize_t
slurp(const char *path, unsigned char *buf, size_t max)
{
	ssize_t	n;
	int	fd = open(path, O_RDONLY);

	if (fd == -1)
		return -1;
	n = read(fd, buf, max);
	close(fd);
	return n;
}

static void
spit(const char *path, const void *buf, size_t len)
{
	int	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd == -1 || write(fd, buf, len) != (ssize_t)len)
		abort();
	close(fd);
}

static int
has(const char *s, const char *sub)
{
	int	r = strstr(s, sub) != NULL;

	if (!r)
		diag("error \"%s\" lacks \"%s\"", s, sub);
	return r;
}

static int
same_file(const char *path, const unsigned char *want, size_t len)
{
	unsigned char	buf[1024];

	return slurp(path, buf, sizeof(buf)) == (ssize_t)len &&
	    memcmp(buf, want, len) == 0;
}

/* Recomputes the trailing SHA-256, as a deliberate tamperer would. */
static void
resum(unsigned char *img)
{
	unsigned int	n;

	EVP_Digest(img, KS_FILE_LEN - 32, img + KS_FILE_LEN - 32, &n,
	    EVP_sha256(), NULL);
}

static int
keys_equal(const struct ks_key *a, const struct ks_key *b)
{
	return memcmp(a->k, b->k, KS_KEY_LEN) == 0;
}

static int
leftover_temp_files(void)
{
	char	cmd[256];

	snprintf(cmd, sizeof(cmd), "ls %s | grep -q tmp", dir);
	return system(cmd) == 0;
}

/* With the real parameters (N = 2^15, r = 8): one roundtrip. */
static void
test_default_params(void)
{
	struct ks_key		k;
	struct ks_header	h;
	struct stat		st;
	char			*p = path_of("default");

	ok(ks_create(p, PASS, strlen(PASS), err, sizeof(err)) == 0,
	    "create with default parameters");
	ok(stat(p, &st) == 0 && (st.st_mode & 07777) == 0600 &&
	    st.st_size == KS_FILE_LEN, "keystore is mode 0600, %d bytes",
	    KS_FILE_LEN);
	ok(ks_read_header(p, &h, err, sizeof(err)) == 0 && h.kind ==
	    KS_KIND_PASS && h.log2n == 15 && h.r == 8 && h.p == 1,
	    "header holds scrypt N=2^15 r=8 p=1");
	ok(ks_open(p, PASS, strlen(PASS), &k, err, sizeof(err)) == 0,
	    "open with default parameters");
	ks_key_wipe(&k);
}

static void
test_create_open(struct ks_key *key)
{
	struct ks_key	k2;
	char		fpr[KS_FPR_HEX], kfpr[KS_FPR_HEX];
	char		*p = path_of("ks");
	unsigned char	before[1024];
	ssize_t		n;

	is_int(ks_create(p, PASS, strlen(PASS), err, sizeof(err)), 0,
	    "create");
	ok(ks_open(p, PASS, strlen(PASS), key, err, sizeof(err)) == 0,
	    "open with the passphrase");
	ok(ks_open(p, PASS, strlen(PASS), &k2, err, sizeof(err)) == 0 &&
	    keys_equal(key, &k2), "open twice gives the same key");
	ks_key_wipe(&k2);
	ok(!leftover_temp_files(), "no temporary file left behind");

	ok(ks_fingerprint(p, fpr, err, sizeof(err)) == 0,
	    "fingerprint without the passphrase");
	ks_key_fingerprint(key, kfpr);
	is_str(fpr, kfpr, "file fingerprint is the key's fingerprint");
	ok(strlen(fpr) == 64 && strspn(fpr, "0123456789abcdef") == 64,
	    "fingerprint is 64 hex digits");

	n = slurp(p, before, sizeof(before));
	ok(ks_create(p, PASS2, strlen(PASS2), err, sizeof(err)) == -1 &&
	    has(err, "already exists") && has(err, p),
	    "create refuses an existing keystore: %s", err);
	ok(same_file(p, before, n), "the existing keystore is unchanged");
	ok(ks_open(p, PASS, strlen(PASS), &k2, err, sizeof(err)) == 0 &&
	    keys_equal(key, &k2), "and still opens to the same key");
	ks_key_wipe(&k2);

	ok(ks_create(path_of("short"), "1234567", 7, err, sizeof(err)) ==
	    -1 && has(err, "too short") && access(path_of("short"), F_OK) ==
	    -1, "a 7-character passphrase is refused: %s", err);
	ok(ks_create(path_of("nodir/ks"), PASS, strlen(PASS), err,
	    sizeof(err)) == -1 && has(err, "does not exist"),
	    "create in a missing directory: %s", err);
	ok(ks_open(path_of("missing"), PASS, strlen(PASS), &k2, err,
	    sizeof(err)) == -1 && has(err, path_of("missing")),
	    "open of a missing file names it: %s", err);
}

static void
test_wrong_passphrase(const struct ks_key *key)
{
	unsigned char	before[1024];
	struct ks_key	k;
	char		*p = path_of("ks");
	ssize_t		n = slurp(p, before, sizeof(before));

	memset(&k, 0xa5, sizeof(k));
	ok(ks_open(p, "wrong passphrase", 16, &k, err, sizeof(err)) == -1 &&
	    has(err, "wrong passphrase") && has(err, p),
	    "wrong passphrase: %s", err);
	ok(k.k[0] == 0xa5 && k.k[63] == 0xa5, "the output key is untouched");
	ok(ks_open(p, "", 0, &k, err, sizeof(err)) == -1 &&
	    has(err, "wrong passphrase"), "empty passphrase: %s", err);
	ok(same_file(p, before, n), "the keystore is unchanged");
	ok(ks_passwd(p, "wrong passphrase", 16, PASS2, strlen(PASS2), err,
	    sizeof(err)) == -1 && has(err, "wrong passphrase") &&
	    same_file(p, before, n), "passwd with a wrong old passphrase "
	    "changes nothing");
	ok(ks_auto_enable(p, "wrong passphrase", 16, err, sizeof(err)) ==
	    -1 && access(path_of("ks.auto"), F_OK) == -1,
	    "auto-open with a wrong passphrase writes no file");
	(void)key;
}

/* A copy of the keystore with one change; open, fingerprint, and why. */
static void
damaged(const unsigned char *img, size_t len, size_t at, const char *what,
    const char *want)
{
	unsigned char	buf[1024];
	struct ks_key	k;
	char		fpr[KS_FPR_HEX];
	char		*p = path_of("damaged");

	memcpy(buf, img, len);
	if (at < len)
		buf[at] ^= 0x01;
	spit(p, buf, len);
	ok(ks_open(p, PASS, strlen(PASS), &k, err, sizeof(err)) == -1 &&
	    has(err, want) && has(err, p) && !strstr(err, "wrong passphrase"),
	    "%s: %s", what, err);
	ok(same_file(p, buf, len), "%s: file unchanged", what);
	ok(ks_fingerprint(p, fpr, err, sizeof(err)) == -1,
	    "%s: no fingerprint either", what);
}

static void
test_damage(void)
{
	unsigned char	img[1024], big[2 * KS_FILE_LEN];
	struct ks_key	k;
	char		fpr[KS_FPR_HEX];
	char		*p = path_of("ks");
	ssize_t		n = slurp(p, img, sizeof(img));
	size_t		i;

	is_int(n, KS_FILE_LEN, "keystore file is %d bytes", KS_FILE_LEN);
	damaged(img, n, 0, "magic flipped", "not a pgha keystore");
	damaged(img, n, 8, "version flipped", "version 0 is not supported");
	damaged(img, n, 9, "kind flipped", "checksum mismatch");
	damaged(img, n, 11, "scrypt N flipped", "checksum mismatch");
	damaged(img, n, 25, "salt flipped", "checksum mismatch");
	damaged(img, n, 60, "fingerprint flipped", "checksum mismatch");
	damaged(img, n, 90, "check flipped", "checksum mismatch");
	damaged(img, n, 185, "nonce flipped", "checksum mismatch");
	damaged(img, n, 200, "ciphertext flipped", "checksum mismatch");
	damaged(img, n, 260, "tag flipped", "checksum mismatch");
	damaged(img, n, 300, "checksum flipped", "checksum mismatch");
	damaged(img, n - 1, n, "truncated by one byte", "truncated");
	damaged(img, 100, n, "truncated to 100 bytes", "truncated");
	damaged(img, 5, n, "truncated to 5 bytes", "not a pgha keystore");
	damaged(img, 0, n, "empty", "empty");
	memcpy(big, img, n);
	memset(big + n, 'x', sizeof(big) - n);
	damaged(big, sizeof(big), sizeof(big), "appended to", "appended");
	for (i = 0; i < sizeof(big); i++)
		big[i] = (unsigned char)(i * 7 + 3);
	damaged(big, KS_FILE_LEN, sizeof(big), "garbage", "not a pgha");
	memcpy(big, img, n);
	big[8] = 2;
	damaged(big, n, n, "format version 2", "version 2 is not supported");
	ok(ks_fingerprint(path_of("damaged"), fpr, err, sizeof(err)) == -1 &&
	    has(err, "version 2"), "fingerprint of a damaged file fails: %s",
	    err);

	/*
	 * A deliberate change that keeps the checksum right: the header is
	 * the AEAD's associated data, so a tampered fingerprint is caught.
	 */
	memcpy(big, img, n);
	big[60] ^= 0x80;
	resum(big);
	spit(path_of("damaged"), big, n);
	ok(ks_open(path_of("damaged"), PASS, strlen(PASS), &k, err,
	    sizeof(err)) == -1 && has(err, "tampered"),
	    "tampered fingerprint, checksum fixed: %s", err);
	memcpy(big, img, n);
	big[200] ^= 0x80;
	resum(big);
	spit(path_of("damaged"), big, n);
	ok(ks_open(path_of("damaged"), PASS, strlen(PASS), &k, err,
	    sizeof(err)) == -1 && has(err, "tampered"),
	    "tampered ciphertext, checksum fixed: %s", err);
	memcpy(big, img, n);
	big[9] = KS_KIND_AUTO;
	resum(big);
	spit(path_of("damaged"), big, n);
	ok(ks_open(path_of("damaged"), PASS, strlen(PASS), &k, err,
	    sizeof(err)) == -1 && has(err, "damaged"),
	    "kind changed to automatic opening: %s", err);
	memcpy(big, img, n);
	big[11] = 30;
	resum(big);
	spit(path_of("damaged"), big, n);
	ok(ks_open(path_of("damaged"), PASS, strlen(PASS), &k, err,
	    sizeof(err)) == -1 && has(err, "scrypt parameters out of range"),
	    "scrypt N = 2^30 refused before deriving: %s", err);
	ok(ks_open(dir, PASS, strlen(PASS), &k, err, sizeof(err)) == -1 &&
	    has(err, "not a regular file"), "a directory: %s", err);
}

static void
test_passwd(const struct ks_key *key)
{
	struct ks_key	k;
	char		fpr0[KS_FPR_HEX], fpr1[KS_FPR_HEX];
	char		*p = path_of("ks");
	unsigned char	before[1024], after[1024];
	ssize_t		n;

	ks_fingerprint(p, fpr0, err, sizeof(err));
	n = slurp(p, before, sizeof(before));
	ok(ks_passwd(p, PASS, strlen(PASS), "short", 5, err, sizeof(err)) ==
	    -1 && has(err, "too short") && same_file(p, before, n),
	    "passwd refuses a short new passphrase, file unchanged");
	ok(ks_passwd(p, PASS, strlen(PASS), PASS2, strlen(PASS2), err,
	    sizeof(err)) == 0, "passwd");
	ok(slurp(p, after, sizeof(after)) == n &&
	    memcmp(before + 20, after + 20, 32) != 0,
	    "passwd wrote a new salt");
	ok(ks_open(p, PASS, strlen(PASS), &k, err, sizeof(err)) == -1 &&
	    has(err, "wrong passphrase"), "the old passphrase no longer "
	    "opens it");
	ok(ks_open(p, PASS2, strlen(PASS2), &k, err, sizeof(err)) == 0 &&
	    keys_equal(&k, key), "the new passphrase opens the same key");
	ks_key_wipe(&k);
	ok(ks_fingerprint(p, fpr1, err, sizeof(err)) == 0 &&
	    strcmp(fpr0, fpr1) == 0, "the fingerprint is unchanged");
	ok(!leftover_temp_files(), "no temporary file left behind");
}

static void
test_auto(const struct ks_key *key)
{
	struct ks_key	k;
	struct stat	st;
	char		*p = path_of("ks"), *ap = path_of("ks.auto");
	char		*other = path_of("other");
	unsigned char	img[1024];
	ssize_t		n;

	ok(!ks_auto_enabled(p), "auto-open not enabled yet");
	ok(ks_auto_open(p, &k, err, sizeof(err)) == -1 &&
	    has(err, "automatic opening is not enabled on this node") &&
	    has(err, "pgha keystore auto-open"), "missing: %s", err);
	ok(ks_auto_enable(p, PASS2, strlen(PASS2), err, sizeof(err)) == 0,
	    "auto-open enable");
	ok(stat(ap, &st) == 0 && (st.st_mode & 07777) == 0600,
	    "the automatic-opening file is mode 0600");
	ok(ks_auto_enabled(p), "auto-open enabled");
	ok(ks_auto_open(p, &k, err, sizeof(err)) == 0 && keys_equal(&k, key),
	    "auto-open gives the master key");
	ks_key_wipe(&k);
	ok(ks_open(ap, PASS2, strlen(PASS2), &k, err, sizeof(err)) == -1 &&
	    has(err, "automatic-opening file, not a keystore"),
	    "the auto file is not a keystore: %s", err);

	ok(ks_passwd(p, PASS2, strlen(PASS2), PASS, strlen(PASS), err,
	    sizeof(err)) == 0 && ks_auto_enabled(p),
	    "auto-open stays valid after passwd");

	ks_set_identity_for_test("0123456789abcdef0123456789abcdef",
	    "node2");
	ok(ks_auto_open(p, &k, err, sizeof(err)) == -1 &&
	    has(err, "made on node node1, this node is node2") && has(err, ap),
	    "copied to another node: %s", err);
	ok(!ks_auto_enabled(p), "not enabled on node2");
	ks_set_identity_for_test("ffffffffffffffffffffffffffffffff",
	    "node1");
	ok(ks_auto_open(p, &k, err, sizeof(err)) == -1 &&
	    has(err, "machine-id or node secret differs"),
	    "same name, another machine: %s", err);
	ks_set_identity_for_test("0123456789abcdef0123456789abcdef",
	    "node1");
	/* Same machine-id and name (both public), another node secret. */
	setenv("PGHA_NODE_SECRET", path_of("other-secret"), 1);
	ok(ks_auto_open(p, &k, err, sizeof(err)) == -1 &&
	    has(err, "other-secret") && has(err, "auto-open"),
	    "no node secret here: %s", err);
	spit(path_of("other-secret"), (const unsigned char *)
	    "0123456789abcdef0123456789abcdef", 32);
	ok(ks_auto_open(p, &k, err, sizeof(err)) == -1 &&
	    has(err, "node secret differs"),
	    "another node secret, same machine-id and name: %s", err);
	setenv("PGHA_NODE_SECRET", path_of("node-secret"), 1);
	ok(ks_auto_open(p, &k, err, sizeof(err)) == 0,
	    "this node's secret again: opens");
	ks_key_wipe(&k);

	n = slurp(ap, img, sizeof(img));
	img[200] ^= 1;
	spit(ap, img, n);
	ok(ks_auto_open(p, &k, err, sizeof(err)) == -1 &&
	    has(err, "checksum mismatch") && has(err, "auto-open` here"),
	    "damaged auto file: %s", err);
	spit(ap, img, 17);
	ok(ks_auto_open(p, &k, err, sizeof(err)) == -1 &&
	    has(err, "truncated"), "truncated auto file: %s", err);
	ok(ks_auto_enable(p, PASS, strlen(PASS), err, sizeof(err)) == 0 &&
	    ks_auto_enabled(p), "auto-open enabled again");

	/* Another cluster's keystore copied over ours: a stale auto file. */
	ok(ks_create(other, PASS, strlen(PASS), err, sizeof(err)) == 0,
	    "a keystore with another master key");
	n = slurp(other, img, sizeof(img));
	spit(p, img, n);
	ok(ks_auto_open(p, &k, err, sizeof(err)) == -1 &&
	    has(err, "run `pgha keystore auto-open` again"),
	    "auto file for another master key: %s", err);
	unlink(p);
	ok(ks_auto_open(p, &k, err, sizeof(err)) == -1 && has(err, p) &&
	    has(err, "no keystore"),
	    "keystore missing next to its auto file: %s", err);
	ok(ks_auto_enable(path_of("none"), PASS, strlen(PASS), err,
	    sizeof(err)) == -1 && access(path_of("none.auto"), F_OK) == -1,
	    "auto-open of a missing keystore writes nothing: %s", err);
}

/* --- the CLI: BUILD/pgha next to BUILD/tests/test_keystore ---------------- */

static char	pgha[512];
static char	out[4096], errout[4096];
static int	sanitizer_reports;

static void
read_into(const char *path, char *buf, size_t len)
{
	ssize_t	n = slurp(path, (unsigned char *)buf, len - 1);

	buf[n > 0 ? n : 0] = '\0';
	if (n > 0 && buf[n - 1] == '\n' && strchr(buf, '\n') == buf + n - 1)
		buf[n - 1] = '\0';	/* one line: messages read better */
}

/* Runs `pgha keystore ARGS` without a terminal; its exit status. */
static int
run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
run(const char *fmt, ...)
{
	char	args[1024], cmd[2048];
	va_list	ap;
	int	st;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "setsid -w %s keystore %s </dev/null "
	    ">%s/out 2>%s/err", pgha, args, dir, dir);
	st = system(cmd);
	snprintf(cmd, sizeof(cmd), "%s/out", dir);
	read_into(cmd, out, sizeof(out));
	snprintf(cmd, sizeof(cmd), "%s/err", dir);
	read_into(cmd, errout, sizeof(errout));
	if (strstr(errout, "Sanitizer") || strstr(errout, "runtime error:")) {
		sanitizer_reports++;
		diag("pgha keystore %s:\n%s", args, errout);
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static int
find_pgha(void)
{
	char	exe[512], *slash;
	ssize_t	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return -1;
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')) == NULL)
		return -1;
	*slash = '\0';
	if ((slash = strrchr(exe, '/')) == NULL)
		return -1;
	*slash = '\0';
	snprintf(pgha, sizeof(pgha), "%s/pgha", exe);
	return access(pgha, X_OK);
}

/* The first line of a passphrase file, read whole (no C string). */
static void
test_cli_pass_line(void)
{
	char	ks[128], nul[128], lng[128], long_line[KS_PASS_MAX + 100];

	/* Own buffers: path_of() recycles 16 and test_cli() holds some. */
	snprintf(ks, sizeof(ks), "%s/c3", dir);
	snprintf(nul, sizeof(nul), "%s/nulpass", dir);
	snprintf(lng, sizeof(lng), "%s/longpass", dir);
	/* A NUL in the first line must not cut the passphrase short. */
	spit(nul, "password1\0tail\n", 15);
	ok(run("create --keystore %s --passphrase-file %s", ks, nul) == 2 &&
	    has(errout, "NUL byte") && access(ks, F_OK) == -1,
	    "a NUL byte in the first line: exit 2, nothing written (%s)",
	    errout);
	memset(long_line, 'a', sizeof(long_line));
	spit(lng, long_line, sizeof(long_line));
	ok(run("create --keystore %s --passphrase-file %s", ks, lng) == 2 &&
	    has(errout, "longer than") && access(ks, F_OK) == -1,
	    "a first line without an end, too long: exit 2, nothing written");
}

static void
test_cli(void)
{
	char	*ks = path_of("cli"), fpr[KS_FPR_HEX], line[128];
	char	*pf = path_of("pass"), *nf = path_of("newpass");
	char	*sf = path_of("shortpass");
	unsigned char before[1024];
	ssize_t	n;

	if (find_pgha() == -1) {
		ok(0, "pgha built next to this test (%s)", pgha);
		return;
	}
	spit(pf, PASS "\n", strlen(PASS) + 1);
	spit(nf, PASS2 "\r\n", strlen(PASS2) + 2);
	spit(sf, "1234567\n", 8);

	is_int(run("create --keystore %s --passphrase-file %s", ks, pf), 0,
	    "pgha keystore create");
	ok(ks_fingerprint(ks, fpr, err, sizeof(err)) == 0 &&
	    snprintf(line, sizeof(line), "fingerprint %s\n", fpr) > 0 &&
	    strstr(out, line) != NULL, "create prints the fingerprint");
	ok(run("create --keystore %s --passphrase-file %s", ks, pf) == 1 &&
	    has(errout, "already exists"), "create again: exit 1, %s",
	    errout);
	ok(run("create --keystore %s --passphrase-file %s", path_of("c2"),
	    sf) == 2 && has(errout, sf) && has(errout, "too short") &&
	    access(path_of("c2"), F_OK) == -1,
	    "a 7-character passphrase: exit 2, nothing written");
	ok(run("create --keystore %s --passphrase-file %s", path_of("c2"),
	    path_of("nofile")) == 2 && has(errout, path_of("nofile")),
	    "a missing passphrase file: exit 2, named");
	test_cli_pass_line();
	ok(run("create --keystore %s", path_of("c2")) == 2 &&
	    has(errout, "give --passphrase-file"),
	    "no terminal and no file: exit 2, %s", errout);

	ok(run("fingerprint --keystore %s", ks) == 0 && strcmp(out, fpr) == 0,
	    "fingerprint prints the fingerprint alone");
	ok(run("--json fingerprint --keystore %s", ks) == 2 &&
	    has(errout, "unknown command 'keystore --json'"),
	    "options come after the subcommand");
	ok(run("fingerprint --json --keystore=%s", ks) == 0 &&
	    has(out, "\"fingerprint\": \"") && has(out, fpr),
	    "fingerprint --json");

	ok(run("status --keystore %s", ks) == 1 && has(out, fpr) &&
	    has(out, "not enabled"), "status before auto-open: exit 1");
	ok(run("auto-open --keystore %s --passphrase-file %s", ks, nf) == 1 &&
	    has(errout, "wrong passphrase") &&
	    access(path_of("cli.auto"), F_OK) == -1,
	    "auto-open with a wrong passphrase: exit 1, nothing written");
	ok(run("auto-open --keystore %s --passphrase-file %s", ks, pf) == 0 &&
	    has(out, "automatic opening enabled"), "auto-open");
	ok(run("status --keystore %s", ks) == 0 && has(out, "enabled on"),
	    "status after auto-open: exit 0");
	ok(run("status --json --keystore %s", ks) == 0 &&
	    has(out, "\"valid\": true") && has(out, "\"auto_open\": {"),
	    "status --json");

	n = slurp(ks, before, sizeof(before));
	ok(run("passwd --keystore %s --passphrase-file %s "
	    "--new-passphrase-file %s", ks, pf, sf) == 2 &&
	    has(errout, "too short") && same_file(ks, before, n),
	    "passwd to a short passphrase: exit 2, unchanged");
	ok(run("passwd --keystore %s --passphrase-file %s "
	    "--new-passphrase-file %s", ks, nf, pf) == 1 &&
	    has(errout, "wrong passphrase") && same_file(ks, before, n),
	    "passwd with a wrong passphrase: exit 1, unchanged");
	ok(run("passwd --keystore %s --passphrase-file %s "
	    "--new-passphrase-file %s", ks, pf, nf) == 0 && has(out, fpr),
	    "passwd (a CRLF line end is stripped)");
	ok(run("auto-open --keystore %s --passphrase-file %s", ks, nf) == 0,
	    "the new passphrase opens it");
	ok(run("status --keystore %s", ks) == 0 && has(out, fpr),
	    "status after passwd: same fingerprint, auto-open valid");

	ok(run("status --bogus") == 2 && has(errout, "--bogus"),
	    "unknown option: exit 2");
	ok(run("frob") == 2 && has(errout, "keystore frob"),
	    "unknown subcommand: exit 2");
	ok(run("fingerprint --passphrase-file %s", pf) == 2,
	    "fingerprint takes no passphrase");
	before[40] ^= 4;
	spit(ks, before, n);
	ok(run("fingerprint --keystore %s", ks) == 1 &&
	    has(errout, "damaged") && out[0] == '\0',
	    "damaged keystore: exit 1, %s", errout);
	ok(run("status --keystore %s", ks) == 1 && has(out, "damaged"),
	    "status names the damage");
	is_int(sanitizer_reports, 0, "no sanitizer report from pgha");
}

int
main(void)
{
	struct ks_key	key;

	snprintf(dir, sizeof(dir), "/tmp/test_keystore.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	ks_set_identity_for_test("0123456789abcdef0123456789abcdef",
	    "node1");
	/* This node's secret in the scratch dir, for the CLI runs too. */
	setenv("PGHA_NODE_SECRET", path_of("node-secret"), 1);
	test_default_params();
	ks_set_scrypt_for_test(10, 1, 1);	/* fast for the rest */
	test_create_open(&key);
	test_wrong_passphrase(&key);
	test_damage();
	test_passwd(&key);
	test_auto(&key);
	test_cli();
	ks_key_wipe(&key);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			diag("could not remove %s", dir);
	}
	return done_testing();
}
