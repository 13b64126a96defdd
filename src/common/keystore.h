/*
 * keystore.h - the per-node keystore of encrypted shared storage (guide
 * 3.3): one fscrypt v2 master key, wrapped under a passphrase in a file
 * on each node's local disk, and optionally a second file that opens it
 * without the passphrase, bound to the node it was made on.
 *
 * The keystore (PATH, default KS_DEFAULT_PATH) holds the master key
 * wrapped under a key derived from the passphrase with scrypt.  It is the
 * same file on every node: copy it when it changes.  ks_passwd rewraps the
 * same key, so its fingerprint and the automatic-opening files stay valid.
 *
 * The automatic-opening file (PATH.auto) holds the same master key wrapped
 * under a key derived with HKDF-SHA256 from this node's identity
 * (/etc/machine-id, the node name - uname's nodename - and 32 random bytes
 * in KS_NODE_SECRET, a root-only file outside the keystore's directory made
 * by the first auto-open), so that a failover never waits for a
 * passphrase, and a copy of the file is useless on another node: the
 * machine-id and the name are no secrets, the node secret is.  Like the
 * guide's "obfuscated" keystore.aks, it protects against a copied file,
 * not against root on this node.
 *
 * File format, version 1: both files are 304 bytes, integers big-endian.
 *
 *   off len  field
 *     0   8  magic "PGHA-KS\n"
 *     8   1  format version: 1
 *     9   1  kind: 1 keystore (passphrase), 2 automatic opening (node)
 *    10   1  key derivation: 1 scrypt (kind 1), 2 HKDF-SHA256 (kind 2)
 *    11   1  scrypt log2(N), 10..20 (0 for HKDF)
 *    12   4  scrypt r, 1..32 (0 for HKDF)
 *    16   4  scrypt p, 1..16 (0 for HKDF); memory 128 * r * N <= 256 MiB
 *    20  32  salt (random; the HKDF salt for kind 2)
 *    52  32  fingerprint of the master key: SHA-256("pgha keystore
 *            fingerprint v1" || key), shown as 64 hex digits
 *    84  32  check: the second half of the 64-byte derived secret, so a
 *            wrong passphrase (kind 1) or another node (kind 2) is told
 *            apart from a damaged file; the first half is the wrapping key
 *   116  64  node name, NUL-padded (kind 2; all zero for kind 1)
 *   180  12  AES-256-GCM nonce (random)
 *   192  64  wrapped master key: AES-256-GCM ciphertext
 *   256  16  GCM tag; the associated data is bytes 0..191, so a changed
 *            header (parameters, salt, fingerprint, node) fails to open
 *   272  32  SHA-256 of bytes 0..271: tells accidental damage (a flipped
 *            or missing byte) from a wrong passphrase
 *
 * Every function returns 0 on success, or -1 with a one-line reason naming
 * the file in err, and then has changed nothing.  Files are written to a
 * temporary file in the same directory, fsync'ed, and renamed (linked, for
 * ks_create) into place, mode 0600; the directory must exist.  Keys and
 * derived secrets are wiped from memory after use.
 */
#ifndef PGHA_KEYSTORE_H
#define PGHA_KEYSTORE_H

#include <stdbool.h>
#include <stddef.h>

#define KS_DEFAULT_PATH	"/etc/pgha/keystore"
/* This node's secret for automatic opening ($PGHA_NODE_SECRET overrides). */
#define KS_NODE_SECRET	"/var/lib/pgha/node-secret"
#define KS_AUTO_SUFFIX	".auto"
#define KS_KEY_LEN	64	/* an fscrypt v2 master key (AES-256-XTS) */
#define KS_FPR_HEX	65	/* 64 hex digits + NUL */
#define KS_PASS_MIN	8	/* bytes; a shorter passphrase is refused */
#define KS_PASS_MAX	1024

#define KS_FILE_LEN	304	/* version 1, both kinds */
#define KS_VERSION	1
#define KS_KIND_PASS	1
#define KS_KIND_AUTO	2

struct ks_key {
	unsigned char	k[KS_KEY_LEN];
};

/* New random master key (RAND_priv_bytes); refuses if path exists. */
int	ks_create(const char *path, const char *pass, size_t passlen,
	    char *err, size_t errlen);
/* Wrong passphrase and damaged file are distinct errors. */
int	ks_open(const char *path, const char *pass, size_t passlen,
	    struct ks_key *out, char *err, size_t errlen);
/* Same master key, rewrapped under newp (new salt and nonce). */
int	ks_passwd(const char *path, const char *oldp, size_t oldlen,
	    const char *newp, size_t newlen, char *err, size_t errlen);
/* The fingerprint from the header, without the passphrase. */
int	ks_fingerprint(const char *path, char hex[KS_FPR_HEX], char *err,
	    size_t errlen);
void	ks_key_fingerprint(const struct ks_key *key, char hex[KS_FPR_HEX]);
/* Writes path.auto, bound to this node, after opening path with pass. */
int	ks_auto_enable(const char *path, const char *pass, size_t passlen,
	    char *err, size_t errlen);
/*
 * Opens path.auto.  Errors: missing (names the fix: `pgha keystore
 * auto-open`), made on another node, damaged, or not matching the
 * keystore at path (which must exist).
 */
int	ks_auto_open(const char *path, struct ks_key *out, char *err,
	    size_t errlen);
/* path.auto exists and ks_auto_open succeeds on this node. */
bool	ks_auto_enabled(const char *path);
void	ks_key_wipe(struct ks_key *);	/* OPENSSL_cleanse */

/*
 * Beyond the core API: what `pgha keystore status` shows, and the parser
 * the fuzz harness drives.
 */
struct ks_header {
	int		kind;		/* KS_KIND_* */
	int		log2n;		/* scrypt; 0 for HKDF */
	unsigned	r, p;
	char		fpr[KS_FPR_HEX];
	char		node[65];	/* kind 2: made on this node */
};
/*
 * buf to path atomically, mode 0600: a temporary file in the same
 * directory, fsync, then rename (or with excl link, so that an existing
 * path is never replaced), and the directory synced.
 */
int	ks_write_file(const char *path, const unsigned char *buf, size_t len,
	    int excl, char *err, size_t errlen);
/* Checks a whole file image; fills h.  name is for messages. */
int	ks_parse(const char *name, const unsigned char *buf, size_t len,
	    struct ks_header *h, char *err, size_t errlen);
/* Reads and checks path (either kind) without opening it. */
int	ks_read_header(const char *path, struct ks_header *h, char *err,
	    size_t errlen);
/* Unwraps an image of kind 1 with pass; name is for messages. */
int	ks_open_buf(const char *name, const unsigned char *buf, size_t len,
	    const char *pass, size_t passlen, struct ks_key *out, char *err,
	    size_t errlen);
/* Unwraps an image of kind 2 with this node's identity. */
int	ks_auto_open_buf(const char *name, const unsigned char *buf,
	    size_t len, struct ks_key *out, char *err, size_t errlen);
/* This node's name as bound into automatic-opening files (65 bytes). */
int	ks_node_name(char name[65], char *err, size_t errlen);

/*
 * Tests: use this identity instead of /etc/machine-id and uname; NULLs
 * restore the real one.  And cheaper scrypt parameters for new files
 * (log2n 0 restores the defaults: N = 2^15, r = 8, p = 1).
 */
void	ks_set_identity_for_test(const char *machine_id,
	    const char *hostname);
void	ks_set_scrypt_for_test(int log2n, unsigned r, unsigned p);

#endif
