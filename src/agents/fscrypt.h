/*
 * fscrypt.h - the disk agent's file-system encryption (encrypt = yes):
 * Linux fscrypt v2 policies on the directories of a mounted file system,
 * with the master key from the node's keystore (see keystore.h).
 *
 * The key lives in the file system's own keyring only while the disk is
 * online here: start adds it, stop removes it, and an unmount drops the
 * file system with it, so an offline disk is ciphertext on every node.
 */
#ifndef PGHA_FSCRYPT_H
#define PGHA_FSCRYPT_H

#include <stdbool.h>

/*
 * The disk's keys: OCF_RESKEY_encrypt, _keystore, _encrypted_dirs.
 * dirs is a copy (blank-separated, relative to the mount point).
 */
struct fsc {
	bool		 on;
	const char	*keystore;
	const char	*dirs;
};

/* Read the keys; OCF_SUCCESS or OCF_ERR_CONFIGURED (said). */
int	fsc_load(struct fsc *);

/*
 * After the mount: open the keystore (automatic opening only), add the
 * key to the file system on mp and make sure every encrypted dir has a
 * v2 policy with it.  On failure the key is removed again and the
 * caller unmounts; returns an OCF code, the reason said on stderr.
 */
int	fsc_start(const struct fsc *, const char *mp, const char *device);

/*
 * Remove the key of the encrypted dirs from the file system on mp (all
 * users' claims).  0 removed or absent, 1 removed but files still open
 * (call again once they are closed), -1 error (said).
 */
int	fsc_remove_key(const struct fsc *, const char *mp);

/* Every encrypted dir has a v2 policy whose key is present on mp. */
int	fsc_monitor(const struct fsc *, const char *mp);

#endif
