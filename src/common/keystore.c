/*
 * keystore.c - the keystore and its automatic-opening file: format,
 * key derivation, wrapping and atomic writes (see keystore.h for the
 * format).  OpenSSL 3 does the cryptography: scrypt and HKDF-SHA256
 * through EVP_KDF, AES-256-GCM through EVP_CIPHER, RAND_priv_bytes for
 * keys, salts and nonces.
 *
 * A file is read whole into a fixed buffer and checked field by field
 * before anything is derived from it; nothing is written until the new
 * image is complete, and then only through a temporary file.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "keystore.h"
#include "util.h"

static const unsigned char ks_magic[8] = { 'P', 'G', 'H', 'A', '-', 'K',
    'S', '\n' };

/* Offsets of the version 1 layout. */
#define OFF_MAGIC	0
#define OFF_VERSION	8
#define OFF_KIND	9
#define OFF_KDF		10
#define OFF_LOG2N	11
#define OFF_R		12
#define OFF_P		16
#define OFF_SALT	20
#define OFF_FPR		52
#define OFF_CHECK	84
#define OFF_NODE	116
#define OFF_NONCE	180
#define OFF_CT		192
#define OFF_TAG		256
#define OFF_SUM		272

#define SALT_LEN	32
#define FPR_LEN		32
#define CHECK_LEN	32
#define NODE_LEN	64
#define NONCE_LEN	12
#define TAG_LEN		16
#define WRAP_LEN	32	/* AES-256 */
#define SECRET_LEN	(WRAP_LEN + CHECK_LEN)
#define AAD_LEN		OFF_CT

#define KDF_SCRYPT	1
#define KDF_HKDF	2

#define SCRYPT_LOG2N	15
#define SCRYPT_R	8
#define SCRYPT_P	1
#define SCRYPT_MAXMEM	(256ULL << 20)	/* 128 * r * N */
#define READ_MAX	4096

#define FPR_LABEL	"pgha keystore fingerprint v1"
#define HKDF_INFO	"pgha keystore auto-open v1"
#define MACHINE_ID	"/etc/machine-id"
#define NODE_SECRET_LEN	32

static struct {
	int		set;
	char		machine_id[128];
	char		host[NODE_LEN + 1];
} test_id;

static int	new_log2n = SCRYPT_LOG2N;
static unsigned	new_r = SCRYPT_R, new_p = SCRYPT_P;

/* Appends a hint to the message in err, if it fits. */
static void
hint(char *err, size_t errlen, const char *h)
{
	size_t	n = strlen(err);

	if (n + strlen(h) < errlen)
		memcpy(err + n, h, strlen(h) + 1);
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static void
sha256(const void *a, size_t alen, const void *b, size_t blen,
    unsigned char md[32])
{
	EVP_MD_CTX	*c = EVP_MD_CTX_new();
	unsigned int	 n = 0;

	if (c == NULL || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(c, a, alen) != 1 ||
	    (blen > 0 && EVP_DigestUpdate(c, b, blen) != 1) ||
	    EVP_DigestFinal_ex(c, md, &n) != 1 || n != 32)
		abort();	/* SHA-256 cannot fail but for OOM */
	EVP_MD_CTX_free(c);
}

static void
key_fpr_raw(const struct ks_key *key, unsigned char md[FPR_LEN])
{
	sha256(FPR_LABEL, strlen(FPR_LABEL), key->k, KS_KEY_LEN, md);
}

void
ks_key_fingerprint(const struct ks_key *key, char hex_out[KS_FPR_HEX])
{
	unsigned char	md[FPR_LEN];

	key_fpr_raw(key, md);
	hex_encode(md, FPR_LEN, hex_out);
}

void
ks_key_wipe(struct ks_key *key)
{
	if (key != NULL)
		OPENSSL_cleanse(key, sizeof(*key));
}

void
ks_set_identity_for_test(const char *machine_id, const char *hostname)
{
	memset(&test_id, 0, sizeof(test_id));
	if (machine_id == NULL || hostname == NULL)
		return;
	snprintf(test_id.machine_id, sizeof(test_id.machine_id), "%s",
	    machine_id);
	snprintf(test_id.host, sizeof(test_id.host), "%s", hostname);
	test_id.set = 1;
}

void
ks_set_scrypt_for_test(int log2n, unsigned r, unsigned p)
{
	if (log2n <= 0) {
		new_log2n = SCRYPT_LOG2N;
		new_r = SCRYPT_R;
		new_p = SCRYPT_P;
	} else {
		new_log2n = log2n;
		new_r = r;
		new_p = p;
	}
}

/* --- parsing -------------------------------------------------------------- */

static int
scrypt_ok(int log2n, uint32_t r, uint32_t p)
{
	return log2n >= 10 && log2n <= 20 && r >= 1 && r <= 32 &&
	    p >= 1 && p <= 16 && 128ULL * r * (1ULL << log2n) <= SCRYPT_MAXMEM;
}

/* A node name field: printable, NUL-padded, not empty (kind 2). */
static int
node_ok(const unsigned char *f, int kind)
{
	size_t	i, n = 0;

	while (n < NODE_LEN && f[n] != '\0')
		n++;
	for (i = 0; i < n; i++)
		if (f[i] <= ' ' || f[i] > '~')
			return 0;
	for (i = n; i < NODE_LEN; i++)
		if (f[i] != '\0')
			return 0;
	return kind == KS_KIND_AUTO ? n > 0 && n < NODE_LEN : n == 0;
}

int
ks_parse(const char *name, const unsigned char *b, size_t len,
    struct ks_header *h, char *err, size_t errlen)
{
	unsigned char	md[32];
	int		kind;

	memset(h, 0, sizeof(*h));
	if (len == 0)
		return errf(err, errlen, "%s: damaged: the file is empty",
		    name);
	if (len < OFF_VERSION + 1 || memcmp(b, ks_magic, sizeof(ks_magic)))
		return errf(err, errlen, "%s: not a pgha keystore file (no "
		    "PGHA-KS header)", name);
	if (b[OFF_VERSION] != KS_VERSION)
		return errf(err, errlen, "%s: keystore format version %u is "
		    "not supported (this pgha reads version %d)", name,
		    b[OFF_VERSION], KS_VERSION);
	if (len != KS_FILE_LEN)
		return errf(err, errlen, "%s: damaged: %zu bytes, a version "
		    "%d keystore file has %d (truncated or appended to)", name,
		    len, KS_VERSION, KS_FILE_LEN);
	sha256(b, OFF_SUM, NULL, 0, md);
	if (CRYPTO_memcmp(md, b + OFF_SUM, sizeof(md)) != 0)
		return errf(err, errlen, "%s: damaged: checksum mismatch (the "
		    "file was changed or corrupted)", name);
	kind = b[OFF_KIND];
	if ((kind != KS_KIND_PASS && kind != KS_KIND_AUTO) ||
	    b[OFF_KDF] != (kind == KS_KIND_PASS ? KDF_SCRYPT : KDF_HKDF))
		return errf(err, errlen, "%s: damaged: unknown kind %u or key "
		    "derivation %u", name, b[OFF_KIND], b[OFF_KDF]);
	if (kind == KS_KIND_PASS && !scrypt_ok(b[OFF_LOG2N],
	    get32(b + OFF_R), get32(b + OFF_P)))
		return errf(err, errlen, "%s: damaged: scrypt parameters out "
		    "of range (log2 N %u, r %u, p %u)", name, b[OFF_LOG2N],
		    get32(b + OFF_R), get32(b + OFF_P));
	if (kind == KS_KIND_AUTO && (b[OFF_LOG2N] != 0 ||
	    get32(b + OFF_R) != 0 || get32(b + OFF_P) != 0))
		return errf(err, errlen, "%s: damaged: key derivation "
		    "parameters in an automatic-opening file", name);
	if (!node_ok(b + OFF_NODE, kind))
		return errf(err, errlen, "%s: damaged: bad node name field",
		    name);
	h->kind = kind;
	h->log2n = b[OFF_LOG2N];
	h->r = get32(b + OFF_R);
	h->p = get32(b + OFF_P);
	hex_encode(b + OFF_FPR, FPR_LEN, h->fpr);
	memcpy(h->node, b + OFF_NODE, NODE_LEN);
	h->node[NODE_LEN] = '\0';
	return 0;
}

/* --- files ---------------------------------------------------------------- */

/* Reads path whole into buf[READ_MAX + 1]; *len is READ_MAX + 1 if more. */
static int
read_file(const char *path, unsigned char *buf, size_t *len, int *eno,
    char *err, size_t errlen)
{
	struct stat	st;
	ssize_t		n;
	size_t		got = 0;
	int		fd;

	*eno = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		*eno = errno;
		return errf(err, errlen, "%s: %s", path, strerror(errno));
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		*eno = EINVAL;
		return errf(err, errlen, "%s: not a regular file", path);
	}
	while (got <= READ_MAX) {
		n = read(fd, buf + got, READ_MAX + 1 - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			*eno = errno;
			close(fd);
			return errf(err, errlen, "%s: read: %s", path,
			    strerror(*eno));
		}
		if (n == 0)
			break;
		got += n;
	}
	close(fd);
	*len = got;
	return 0;
}

static int
fsync_dir(const char *path)
{
	char	*copy = xstrdup(path);
	int	 fd, r = -1;

	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd != -1) {
		r = fsync(fd);
		close(fd);
	}
	free(copy);
	return r;
}

/*
 * Writes buf to path through a temporary file in its directory, mode
 * 0600: renamed over path, or with excl linked (so an existing path is
 * never replaced, even by a concurrent create).
 */
int
ks_write_file(const char *path, const unsigned char *buf, size_t len, int excl,
    char *err, size_t errlen)
{
	char	*tmp = xasprintf("%s.tmp.XXXXXX", path);
	size_t	 off = 0;
	ssize_t	 n;
	int	 fd, e;

	if ((fd = mkstemp(tmp)) == -1) {
		e = errno;
		free(tmp);
		if (e == ENOENT) {
			char *d = xstrdup(path);

			errf(err, errlen, "%s: cannot create: directory %s "
			    "does not exist", path, dirname(d));
			free(d);
			return -1;
		}
		return errf(err, errlen, "%s: cannot create: %s", path,
		    strerror(e));
	}
	if (fchmod(fd, 0600) == -1)
		goto bad;
	while (off < len) {
		if ((n = write(fd, buf + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			goto bad;
		}
		off += n;
	}
	if (fsync(fd) == -1)
		goto bad;
	if (close(fd) == -1) {
		fd = -1;
		goto bad;
	}
	fd = -1;
	if (excl) {
		if (link(tmp, path) == -1)
			goto bad;
		unlink(tmp);
	} else if (rename(tmp, path) == -1)
		goto bad;
	free(tmp);
	if (fsync_dir(path) == -1)
		return errf(err, errlen, "%s: written, but syncing its "
		    "directory failed: %s", path, strerror(errno));
	return 0;
bad:
	e = errno;
	if (fd != -1)
		close(fd);
	unlink(tmp);
	free(tmp);
	if (excl && e == EEXIST)
		return errf(err, errlen, "%s: already exists: refusing to "
		    "replace a keystore", path);
	return errf(err, errlen, "%s: cannot write: %s", path, strerror(e));
}

/* --- key derivation and wrapping ------------------------------------------ */

static int
derive_scrypt(const char *pass, size_t passlen, const unsigned char *salt,
    int log2n, uint32_t r, uint32_t p, unsigned char out[SECRET_LEN])
{
	EVP_KDF		*kdf;
	EVP_KDF_CTX	*kctx = NULL;
	OSSL_PARAM	 params[7], *q = params;
	uint64_t	 n = 1ULL << log2n, maxmem = 2 * SCRYPT_MAXMEM;
	int		 ok = 0;

	if ((kdf = EVP_KDF_fetch(NULL, "SCRYPT", NULL)) == NULL)
		return -1;
	kctx = EVP_KDF_CTX_new(kdf);
	EVP_KDF_free(kdf);
	if (kctx == NULL)
		return -1;
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD,
	    (void *)(passlen ? pass : ""), passlen);
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
	    (void *)salt, SALT_LEN);
	*q++ = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n);
	*q++ = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r);
	*q++ = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p);
	*q++ = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM,
	    &maxmem);
	*q = OSSL_PARAM_construct_end();
	ok = EVP_KDF_derive(kctx, out, SECRET_LEN, params) == 1;
	EVP_KDF_CTX_free(kctx);
	return ok ? 0 : -1;
}

/* Where this node's secret is: KS_NODE_SECRET, or $PGHA_NODE_SECRET. */
static const char *
secret_path(void)
{
	const char	*p = getenv("PGHA_NODE_SECRET");

	return p != NULL && p[0] == '/' ? p : KS_NODE_SECRET;
}

/*
 * This node's secret: 32 random bytes in a root-only file outside the
 * keystore's directory, made by the first `auto-open` (create).  It is
 * what makes a copy of the automatic-opening file useless elsewhere: the
 * machine-id and the node name are no secrets.
 */
static int
node_secret(unsigned char sec[NODE_SECRET_LEN], int create, char *err,
    size_t errlen)
{
	const char	*path = secret_path();
	char		 dir[PATH_MAX];
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) != -1) {
		n = read(fd, sec, NODE_SECRET_LEN);
		close(fd);
		if (n != NODE_SECRET_LEN)
			return errf(err, errlen, "%s: damaged (not %d bytes): "
			    "remove it and run `pgha keystore auto-open` "
			    "again", path, NODE_SECRET_LEN);
		return 0;
	}
	if (errno != ENOENT || !create)
		return errf(err, errlen, "%s: %s (this node's secret, which "
		    "automatic opening is bound to): run `pgha keystore "
		    "auto-open` here", path, strerror(errno));
	snprintf(dir, sizeof(dir), "%s", path);
	if (mkdir(dirname(dir), 0700) == -1 && errno != EEXIST)
		return errf(err, errlen, "%s: %s", dir, strerror(errno));
	if (RAND_priv_bytes(sec, NODE_SECRET_LEN) != 1)
		return errf(err, errlen, "%s: no random bytes (OpenSSL)",
		    path);
	return ks_write_file(path, sec, NODE_SECRET_LEN, 1, err, errlen);
}

/* This node's identity: machine-id and node name. */
static int
node_identity(char *mid, size_t midlen, char host[NODE_LEN + 1], char *err,
    size_t errlen)
{
	struct utsname	 u;
	FILE		*f;
	size_t		 n;

	if (test_id.set) {
		snprintf(mid, midlen, "%s", test_id.machine_id);
		snprintf(host, NODE_LEN + 1, "%s", test_id.host);
		return 0;
	}
	if ((f = fopen(MACHINE_ID, "re")) == NULL)
		return errf(err, errlen, "%s: %s (the node identity that "
		    "automatic opening is bound to)", MACHINE_ID,
		    strerror(errno));
	if (fgets(mid, midlen, f) == NULL)
		mid[0] = '\0';
	fclose(f);
	n = strcspn(mid, " \t\r\n");
	mid[n] = '\0';
	if (n == 0)
		return errf(err, errlen, "%s: empty (the node identity that "
		    "automatic opening is bound to)", MACHINE_ID);
	if (uname(&u) == -1)
		return errf(err, errlen, "uname: %s", strerror(errno));
	if (u.nodename[0] == '\0' || strlen(u.nodename) >= NODE_LEN)
		return errf(err, errlen, "this node's name '%s' is empty or "
		    "longer than %d characters", u.nodename, NODE_LEN - 1);
	snprintf(host, NODE_LEN + 1, "%s", u.nodename);
	return 0;
}

int
ks_node_name(char name[65], char *err, size_t errlen)
{
	char	mid[128];

	return node_identity(mid, sizeof(mid), name, err, errlen);
}

static int
derive_node(const char *mid, const char *host,
    const unsigned char sec[NODE_SECRET_LEN], const unsigned char *salt,
    unsigned char out[SECRET_LEN])
{
	EVP_KDF		*kdf;
	EVP_KDF_CTX	*kctx;
	OSSL_PARAM	 params[5], *q = params;
	unsigned char	 ikm[128 + NODE_LEN + 2 + NODE_SECRET_LEN];
	size_t		 ml = strlen(mid), hl = strlen(host);
	int		 ok;

	if (ml >= 128 || hl > NODE_LEN)
		return -1;
	memcpy(ikm, mid, ml);
	ikm[ml] = '\0';
	memcpy(ikm + ml + 1, host, hl);
	ikm[ml + 1 + hl] = '\0';
	memcpy(ikm + ml + 2 + hl, sec, NODE_SECRET_LEN);
	if ((kdf = EVP_KDF_fetch(NULL, "HKDF", NULL)) == NULL)
		return -1;
	kctx = EVP_KDF_CTX_new(kdf);
	EVP_KDF_free(kdf);
	if (kctx == NULL)
		return -1;
	*q++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, ikm,
	    ml + 2 + hl + NODE_SECRET_LEN);
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
	    (void *)salt, SALT_LEN);
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
	    (void *)HKDF_INFO, strlen(HKDF_INFO));
	*q = OSSL_PARAM_construct_end();
	ok = EVP_KDF_derive(kctx, out, SECRET_LEN, params) == 1;
	EVP_KDF_CTX_free(kctx);
	OPENSSL_cleanse(ikm, sizeof(ikm));
	return ok ? 0 : -1;
}

/* AES-256-GCM over the key with bytes 0..AAD_LEN-1 of img as AAD. */
static int
gcm(int enc, const unsigned char *wrap, unsigned char *img,
    const unsigned char *in, unsigned char *out)
{
	EVP_CIPHER_CTX	*c = EVP_CIPHER_CTX_new();
	int		 n, ok;

	if (c == NULL)
		return -1;
	ok = EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL,
	    enc) == 1 &&
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, NONCE_LEN,
	    NULL) == 1 &&
	    EVP_CipherInit_ex(c, NULL, NULL, wrap, img + OFF_NONCE, enc) == 1 &&
	    EVP_CipherUpdate(c, NULL, &n, img, AAD_LEN) == 1 &&
	    EVP_CipherUpdate(c, out, &n, in, KS_KEY_LEN) == 1 &&
	    n == KS_KEY_LEN;
	if (ok && !enc)
		ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN,
		    img + OFF_TAG) == 1;
	if (ok)
		ok = EVP_CipherFinal_ex(c, out + KS_KEY_LEN, &n) == 1;
	if (ok && enc)
		ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN,
		    img + OFF_TAG) == 1;
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -1;
}

/*
 * Builds a complete image of key: the caller has set kind, KDF fields,
 * salt and node name, and secret from them.
 */
static int
seal(unsigned char *img, const unsigned char *secret,
    const struct ks_key *key)
{
	unsigned char	out[KS_KEY_LEN + 16];

	memcpy(img, ks_magic, sizeof(ks_magic));
	img[OFF_VERSION] = KS_VERSION;
	key_fpr_raw(key, img + OFF_FPR);
	memcpy(img + OFF_CHECK, secret + WRAP_LEN, CHECK_LEN);
	if (RAND_bytes(img + OFF_NONCE, NONCE_LEN) != 1 ||
	    gcm(1, secret, img, key->k, out) == -1)
		return -1;
	memcpy(img + OFF_CT, out, KS_KEY_LEN);
	OPENSSL_cleanse(out, sizeof(out));
	sha256(img, OFF_SUM, NULL, 0, img + OFF_SUM);
	return 0;
}

/* Unwraps a checked image with secret; the check half is compared first. */
static int
unseal(const char *name, unsigned char *img, const unsigned char *secret,
    struct ks_key *out, const char *wrong, char *err, size_t errlen)
{
	struct ks_key	k;
	unsigned char	buf[KS_KEY_LEN + 16], md[FPR_LEN];
	int		r;

	if (CRYPTO_memcmp(secret + WRAP_LEN, img + OFF_CHECK, CHECK_LEN))
		return errf(err, errlen, "%s: %s", name, wrong);
	r = gcm(0, secret, img, img + OFF_CT, buf);
	memcpy(k.k, buf, KS_KEY_LEN);
	OPENSSL_cleanse(buf, sizeof(buf));
	if (r == 0) {
		key_fpr_raw(&k, md);
		r = CRYPTO_memcmp(md, img + OFF_FPR, FPR_LEN) ? -1 : 0;
	}
	if (r == -1) {
		ks_key_wipe(&k);
		return errf(err, errlen, "%s: damaged or tampered with: the "
		    "wrapped key fails authentication", name);
	}
	*out = k;
	ks_key_wipe(&k);
	return 0;
}

/* Reads and checks path, which must be of the given kind. */
static int
load(const char *path, int kind, unsigned char *img, struct ks_header *h,
    int *eno, char *err, size_t errlen)
{
	size_t	len;

	if (read_file(path, img, &len, eno, err, errlen) == -1 ||
	    ks_parse(path, img, len, h, err, errlen) == -1)
		return -1;
	if (h->kind != kind)
		return errf(err, errlen, kind == KS_KIND_PASS ? "%s: is an "
		    "automatic-opening file, not a keystore" : "%s: is a "
		    "keystore, not an automatic-opening file", path);
	return 0;
}

/* --- passphrase keystore -------------------------------------------------- */

static int
check_pass(const char *what, size_t len, char *err, size_t errlen)
{
	if (len < KS_PASS_MIN)
		return errf(err, errlen, "%s is too short: at least %d "
		    "characters", what, KS_PASS_MIN);
	if (len > KS_PASS_MAX)
		return errf(err, errlen, "%s is too long: at most %d bytes",
		    what, KS_PASS_MAX);
	return 0;
}

/* A keystore image of key under pass, with the parameters for new files. */
static int
seal_pass(const char *path, unsigned char *img, const struct ks_key *key,
    const char *pass, size_t passlen, char *err, size_t errlen)
{
	unsigned char	secret[SECRET_LEN];
	int		r;

	memset(img, 0, KS_FILE_LEN);
	img[OFF_KIND] = KS_KIND_PASS;
	img[OFF_KDF] = KDF_SCRYPT;
	img[OFF_LOG2N] = new_log2n;
	put32(img + OFF_R, new_r);
	put32(img + OFF_P, new_p);
	if (RAND_bytes(img + OFF_SALT, SALT_LEN) != 1 ||
	    derive_scrypt(pass, passlen, img + OFF_SALT, new_log2n, new_r,
	    new_p, secret) == -1)
		return errf(err, errlen, "%s: key derivation failed (OpenSSL "
		    "scrypt)", path);
	r = seal(img, secret, key);
	OPENSSL_cleanse(secret, sizeof(secret));
	if (r == -1)
		return errf(err, errlen, "%s: encryption failed (OpenSSL "
		    "AES-256-GCM)", path);
	return 0;
}

int
ks_create(const char *path, const char *pass, size_t passlen, char *err,
    size_t errlen)
{
	unsigned char	img[KS_FILE_LEN];
	struct ks_key	key;
	struct stat	st;
	int		r;

	if (check_pass("the passphrase", passlen, err, errlen) == -1)
		return -1;
	if (lstat(path, &st) == 0)
		return errf(err, errlen, "%s: already exists: refusing to "
		    "replace a keystore", path);
	if (RAND_priv_bytes(key.k, KS_KEY_LEN) != 1)
		return errf(err, errlen, "%s: no random bytes for a new key "
		    "(OpenSSL RAND_priv_bytes)", path);
	r = seal_pass(path, img, &key, pass, passlen, err, errlen);
	ks_key_wipe(&key);
	if (r == 0)
		r = ks_write_file(path, img, KS_FILE_LEN, 1, err, errlen);
	OPENSSL_cleanse(img, sizeof(img));
	return r;
}

int
ks_open_buf(const char *name, const unsigned char *buf, size_t len,
    const char *pass, size_t passlen, struct ks_key *out, char *err,
    size_t errlen)
{
	unsigned char	img[KS_FILE_LEN], secret[SECRET_LEN];
	struct ks_header h;
	int		r;

	if (ks_parse(name, buf, len, &h, err, errlen) == -1)
		return -1;
	if (h.kind != KS_KIND_PASS)
		return errf(err, errlen, "%s: is an automatic-opening file, "
		    "not a keystore", name);
	memcpy(img, buf, KS_FILE_LEN);
	if (derive_scrypt(pass, passlen, img + OFF_SALT, h.log2n, h.r, h.p,
	    secret) == -1)
		return errf(err, errlen, "%s: key derivation failed (OpenSSL "
		    "scrypt)", name);
	r = unseal(name, img, secret, out, "wrong passphrase", err, errlen);
	OPENSSL_cleanse(secret, sizeof(secret));
	return r;
}

int
ks_open(const char *path, const char *pass, size_t passlen,
    struct ks_key *out, char *err, size_t errlen)
{
	unsigned char	buf[READ_MAX + 1];
	size_t		len;
	int		eno, r;

	if (read_file(path, buf, &len, &eno, err, errlen) == -1)
		return -1;
	r = ks_open_buf(path, buf, len, pass, passlen, out, err, errlen);
	if (r == -1 && strstr(err, ": damaged") != NULL)
		hint(err, errlen, ": copy the keystore from another node");
	OPENSSL_cleanse(buf, sizeof(buf));
	return r;
}

int
ks_passwd(const char *path, const char *oldp, size_t oldlen,
    const char *newp, size_t newlen, char *err, size_t errlen)
{
	unsigned char	img[KS_FILE_LEN];
	struct ks_key	key;
	int		r;

	if (check_pass("the new passphrase", newlen, err, errlen) == -1)
		return -1;
	if (ks_open(path, oldp, oldlen, &key, err, errlen) == -1)
		return -1;
	r = seal_pass(path, img, &key, newp, newlen, err, errlen);
	ks_key_wipe(&key);
	if (r == 0)
		r = ks_write_file(path, img, KS_FILE_LEN, 0, err, errlen);
	OPENSSL_cleanse(img, sizeof(img));
	return r;
}

int
ks_read_header(const char *path, struct ks_header *h, char *err,
    size_t errlen)
{
	unsigned char	buf[READ_MAX + 1];
	size_t		len;
	int		eno;

	if (read_file(path, buf, &len, &eno, err, errlen) == -1)
		return -1;
	return ks_parse(path, buf, len, h, err, errlen);
}

int
ks_fingerprint(const char *path, char out[KS_FPR_HEX], char *err,
    size_t errlen)
{
	unsigned char	 img[READ_MAX + 1];
	struct ks_header h;
	int		 eno;

	if (load(path, KS_KIND_PASS, img, &h, &eno, err, errlen) == -1) {
		if (strstr(err, ": damaged") != NULL)
			hint(err, errlen, ": copy the keystore from another "
			    "node");
		return -1;
	}
	memcpy(out, h.fpr, KS_FPR_HEX);
	return 0;
}

/* --- automatic opening ---------------------------------------------------- */

int
ks_auto_enable(const char *path, const char *pass, size_t passlen,
    char *err, size_t errlen)
{
	unsigned char	 img[KS_FILE_LEN], secret[SECRET_LEN];
	unsigned char	 sec[NODE_SECRET_LEN];
	char		 mid[128], host[NODE_LEN + 1];
	char		*auto_path;
	struct ks_key	 key;
	int		 r;

	if (node_identity(mid, sizeof(mid), host, err, errlen) == -1)
		return -1;
	if (ks_open(path, pass, passlen, &key, err, errlen) == -1)
		return -1;
	if (node_secret(sec, 1, err, errlen) == -1) {
		ks_key_wipe(&key);
		return -1;
	}
	auto_path = xasprintf("%s%s", path, KS_AUTO_SUFFIX);
	memset(img, 0, sizeof(img));
	img[OFF_KIND] = KS_KIND_AUTO;
	img[OFF_KDF] = KDF_HKDF;
	memcpy(img + OFF_NODE, host, strlen(host));
	r = RAND_bytes(img + OFF_SALT, SALT_LEN) == 1 &&
	    derive_node(mid, host, sec, img + OFF_SALT, secret) == 0 &&
	    seal(img, secret, &key) == 0 ? 0 : -1;
	ks_key_wipe(&key);
	OPENSSL_cleanse(sec, sizeof(sec));
	OPENSSL_cleanse(secret, sizeof(secret));
	OPENSSL_cleanse(mid, sizeof(mid));
	if (r == -1)
		errf(err, errlen, "%s: key derivation or encryption failed "
		    "(OpenSSL)", auto_path);
	else
		r = ks_write_file(auto_path, img, KS_FILE_LEN, 0, err, errlen);
	OPENSSL_cleanse(img, sizeof(img));
	free(auto_path);
	return r;
}

int
ks_auto_open_buf(const char *name, const unsigned char *buf, size_t len,
    struct ks_key *out, char *err, size_t errlen)
{
	unsigned char	 img[KS_FILE_LEN], secret[SECRET_LEN];
	unsigned char	 sec[NODE_SECRET_LEN];
	char		 mid[128], host[NODE_LEN + 1], wrong[256];
	struct ks_header h;
	int		 r;

	if (ks_parse(name, buf, len, &h, err, errlen) == -1)
		return -1;
	if (h.kind != KS_KIND_AUTO)
		return errf(err, errlen, "%s: is a keystore, not an "
		    "automatic-opening file", name);
	if (node_identity(mid, sizeof(mid), host, err, errlen) == -1)
		return -1;
	if (node_secret(sec, 0, err, errlen) == -1)
		return -1;
	memcpy(img, buf, KS_FILE_LEN);
	r = derive_node(mid, host, sec, img + OFF_SALT, secret);
	OPENSSL_cleanse(mid, sizeof(mid));
	OPENSSL_cleanse(sec, sizeof(sec));
	if (r == -1)
		return errf(err, errlen, "%s: key derivation failed (OpenSSL "
		    "HKDF)", name);
	if (strcmp(h.node, host) != 0)
		snprintf(wrong, sizeof(wrong), "was made on node %s, this node "
		    "is %s: run `pgha keystore auto-open` here", h.node, host);
	else
		snprintf(wrong, sizeof(wrong), "was made on another node "
		    "named %s (its machine-id or node secret differs): run "
		    "`pgha keystore auto-open` here", h.node);
	r = unseal(name, img, secret, out, wrong, err, errlen);
	OPENSSL_cleanse(secret, sizeof(secret));
	return r;
}

int
ks_auto_open(const char *path, struct ks_key *out, char *err,
    size_t errlen)
{
	unsigned char	 img[READ_MAX + 1];
	char		*auto_path, fpr[KS_FPR_HEX], kfpr[KS_FPR_HEX];
	struct ks_key	 key;
	size_t		 len;
	int		 eno, r = -1;

	auto_path = xasprintf("%s%s", path, KS_AUTO_SUFFIX);
	if (read_file(auto_path, img, &len, &eno, err, errlen) == -1) {
		if (eno == ENOENT)
			errf(err, errlen, "%s: automatic opening is not "
			    "enabled on this node: run `pgha keystore "
			    "auto-open` here", auto_path);
		goto out;
	}
	if (ks_auto_open_buf(auto_path, img, len, &key, err, errlen) == -1) {
		if (strstr(err, ": damaged") != NULL ||
		    strstr(err, ": not a pgha") != NULL)
			hint(err, errlen, ": run `pgha keystore auto-open` "
			    "here to write it again");
		goto out;
	}
	ks_key_fingerprint(&key, kfpr);
	if (access(path, F_OK) == -1 && errno == ENOENT) {
		ks_key_wipe(&key);
		errf(err, errlen, "%s: no keystore next to the "
		    "automatic-opening file %s: copy the cluster's keystore "
		    "here", path, auto_path);
	} else if (ks_fingerprint(path, fpr, err, errlen) == -1)
		ks_key_wipe(&key);
	else if (strcmp(fpr, kfpr) != 0) {
		ks_key_wipe(&key);
		errf(err, errlen, "%s: holds the master key %.16s..., the "
		    "keystore %s holds %.16s...: run `pgha keystore auto-open` "
		    "again", auto_path, kfpr, path, fpr);
	} else {
		*out = key;
		ks_key_wipe(&key);
		r = 0;
	}
out:
	OPENSSL_cleanse(img, sizeof(img));
	free(auto_path);
	return r;
}

bool
ks_auto_enabled(const char *path)
{
	struct ks_key	key;
	char		err[16];

	if (ks_auto_open(path, &key, err, sizeof(err)) == -1)
		return false;
	ks_key_wipe(&key);
	return true;
}
