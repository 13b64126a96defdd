/*
 * vdisk.c - pgha-vdisk: the lab's shared disk with a volatile write cache
 * per path, so that a power loss loses what its owner did not flush.
 *
 * The lab's "power loss" kills a node's processes, but the host's page
 * cache keeps everything they wrote, and the kernel unmounting the dead
 * node's ext4 even writes out the rest afterwards.  A commit that was
 * never flushed would then survive, and "0 lost" would say nothing about
 * flushes.  This FUSE daemon serves one store (a file) as N files
 * node1.img .. nodeN.img, one per node; each node has its own loop device
 * over its own file: its own path to the disk, as on a SAN.
 *
 *   - A write on path K lands in K's cache (4 KiB blocks, in memory);
 *     reads on K see K's cache over the store; the other paths do not see
 *     it.  Files are opened with direct_io, so the kernel keeps no cache
 *     of them between a loop device and this daemon.
 *   - fsync on K (the loop driver turns REQ_PREFLUSH and FUA into
 *     vfs_fsync of its backing file) writes K's cache to the store.
 *     So does a cache above its size limit (-c MiB), as a disk destages.
 *   - "cut K" (written to the file ctl) drops K's cache and fails every
 *     later read, write and fsync on K with EIO until "on K": what a power
 *     loss, or a fence that powers the node off, does to its path.
 *   - Reading ctl gives one line per path: state, cached blocks, flushes,
 *     dropped blocks.
 *
 * One thread (fuse -s): requests are taken one at a time, nothing locks.
 * The store is written with pwrite and never fsynced: the host does not
 * lose power in the lab, its page cache is the platter.
 *
 *	pgha-vdisk [-n PATHS] [-c CACHE_MIB] STORE MOUNTPOINT [FUSE OPTIONS]
 */
#define FUSE_USE_VERSION 31

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BLK		4096
#define MAX_PATHS	9

struct vpath {
	char		  name[16];
	int		  cut;
	uint8_t		**blk;		/* [nblk], NULL: not cached */
	uint64_t	 *dirty;	/* indices of cached blocks */
	size_t		  ndirty;
	unsigned long	  flushes, dropped, destages;
};

static struct {
	int		 store;
	uint64_t	 size, nblk;
	size_t		 cache_max;	/* blocks per path */
	int		 npaths;
	struct vpath	 path[MAX_PATHS];
	char		 status[2048];
} vd;

static void
die(const char *msg)
{
	fprintf(stderr, "pgha-vdisk: %s: %s\n", msg, strerror(errno));
	exit(1);
}

/* Path index of "/nodeK.img", -1 for ctl, -2 otherwise. */
static int
path_of(const char *p)
{
	if (strcmp(p, "/ctl") == 0)
		return -1;
	for (int i = 0; i < vd.npaths; i++) {
		if (p[0] == '/' && strcmp(p + 1, vd.path[i].name) == 0)
			return i;
	}
	return -2;
}

static int
flush_path(struct vpath *vp)
{
	int	err = 0;

	for (size_t i = 0; i < vp->ndirty; i++) {
		uint64_t b = vp->dirty[i];

		if (pwrite(vd.store, vp->blk[b], BLK, (off_t)(b * BLK)) != BLK)
			err = -EIO;
		free(vp->blk[b]);
		vp->blk[b] = NULL;
	}
	vp->ndirty = 0;
	return err;
}

static void
drop_path(struct vpath *vp)
{
	for (size_t i = 0; i < vp->ndirty; i++) {
		free(vp->blk[vp->dirty[i]]);
		vp->blk[vp->dirty[i]] = NULL;
	}
	vp->dropped += vp->ndirty;
	vp->ndirty = 0;
}

static int
vd_getattr(const char *p, struct stat *st, struct fuse_file_info *fi)
{
	int	i = path_of(p);

	(void)fi;
	memset(st, 0, sizeof(*st));
	st->st_mtime = st->st_ctime = st->st_atime = time(NULL);
	if (strcmp(p, "/") == 0) {
		st->st_mode = S_IFDIR | 0700;
		st->st_nlink = 2;
		return 0;
	}
	if (i == -2)
		return -ENOENT;
	st->st_mode = S_IFREG | 0600;
	st->st_nlink = 1;
	st->st_size = i == -1 ? 0 : (off_t)vd.size;
	return 0;
}

static int
vd_readdir(const char *p, void *buf, fuse_fill_dir_t fill, off_t off,
    struct fuse_file_info *fi, enum fuse_readdir_flags fl)
{
	(void)off; (void)fi; (void)fl;
	if (strcmp(p, "/") != 0)
		return -ENOENT;
	fill(buf, ".", NULL, 0, 0);
	fill(buf, "..", NULL, 0, 0);
	fill(buf, "ctl", NULL, 0, 0);
	for (int i = 0; i < vd.npaths; i++)
		fill(buf, vd.path[i].name, NULL, 0, 0);
	return 0;
}

static int
vd_open(const char *p, struct fuse_file_info *fi)
{
	int	i = path_of(p);

	if (i == -2)
		return -ENOENT;
	if (i >= 0 && vd.path[i].cut)
		return -EIO;
	fi->direct_io = 1;	/* no kernel cache of the image */
	fi->keep_cache = 0;
	return 0;
}

static int
vd_truncate(const char *p, off_t size, struct fuse_file_info *fi)
{
	(void)fi; (void)size;
	return path_of(p) == -1 ? 0 : -EPERM;
}

static int
ctl_read(char *buf, size_t size, off_t off)
{
	size_t	len = 0;

	for (int i = 0; i < vd.npaths; i++) {
		struct vpath *vp = &vd.path[i];

		len += (size_t)snprintf(vd.status + len,
		    sizeof(vd.status) - len, "%s %s cached=%zu flushes=%lu "
		    "destages=%lu dropped=%lu\n", vp->name,
		    vp->cut ? "cut" : "on", vp->ndirty, vp->flushes,
		    vp->destages, vp->dropped);
	}
	if ((size_t)off >= len)
		return 0;
	if (size > len - (size_t)off)
		size = len - (size_t)off;
	memcpy(buf, vd.status + off, size);
	return (int)size;
}

/* "cut K", "on K", "flush K" (K = 1..N), one per write. */
static int
ctl_write(const char *buf, size_t size)
{
	char	cmd[64], verb[16];
	int	k;

	if (size >= sizeof(cmd))
		return -EINVAL;
	memcpy(cmd, buf, size);
	cmd[size] = '\0';
	if (sscanf(cmd, "%15s %d", verb, &k) != 2 || k < 1 || k > vd.npaths)
		return -EINVAL;
	if (strcmp(verb, "cut") == 0) {
		drop_path(&vd.path[k - 1]);
		vd.path[k - 1].cut = 1;
	} else if (strcmp(verb, "on") == 0) {
		drop_path(&vd.path[k - 1]);
		vd.path[k - 1].cut = 0;
	} else if (strcmp(verb, "flush") == 0) {
		if (vd.path[k - 1].cut)
			return -EIO;
		vd.path[k - 1].flushes++;
		if (flush_path(&vd.path[k - 1]) != 0)
			return -EIO;
	} else
		return -EINVAL;
	fprintf(stderr, "pgha-vdisk: %s", cmd);
	return (int)size;
}

static int
vd_read(const char *p, char *buf, size_t size, off_t off,
    struct fuse_file_info *fi)
{
	int		 i = path_of(p);
	struct vpath	*vp;
	size_t		 done = 0;

	(void)fi;
	if (i == -1)
		return ctl_read(buf, size, off);
	if (i < 0)
		return -ENOENT;
	vp = &vd.path[i];
	if (vp->cut)
		return -EIO;
	if ((uint64_t)off >= vd.size)
		return 0;
	if ((uint64_t)off + size > vd.size)
		size = (size_t)(vd.size - (uint64_t)off);
	while (done < size) {
		uint64_t o = (uint64_t)off + done, b = o / BLK;
		size_t	 in = (size_t)(o % BLK), n = BLK - in;

		if (n > size - done)
			n = size - done;
		if (vp->blk[b] != NULL)
			memcpy(buf + done, vp->blk[b] + in, n);
		else if (pread(vd.store, buf + done, n, (off_t)o) != (ssize_t)n)
			return -EIO;
		done += n;
	}
	return (int)size;
}

static int
vd_write(const char *p, const char *buf, size_t size, off_t off,
    struct fuse_file_info *fi)
{
	int		 i = path_of(p);
	struct vpath	*vp;
	size_t		 done = 0;

	(void)fi;
	if (i == -1)
		return ctl_write(buf, size);
	if (i < 0)
		return -ENOENT;
	vp = &vd.path[i];
	if (vp->cut)
		return -EIO;
	if ((uint64_t)off + size > vd.size)
		return -ENOSPC;
	while (done < size) {
		uint64_t o = (uint64_t)off + done, b = o / BLK;
		size_t	 in = (size_t)(o % BLK), n = BLK - in;

		if (n > size - done)
			n = size - done;
		if (vp->blk[b] == NULL) {
			if ((vp->blk[b] = malloc(BLK)) == NULL)
				return -ENOMEM;
			if (n < BLK && pread(vd.store, vp->blk[b], BLK,
			    (off_t)(b * BLK)) != BLK) {
				free(vp->blk[b]);
				vp->blk[b] = NULL;
				return -EIO;
			}
			vp->dirty[vp->ndirty++] = b;
		}
		memcpy(vp->blk[b] + in, buf + done, n);
		done += n;
	}
	if (vp->ndirty > vd.cache_max) {
		vp->destages++;
		if (flush_path(vp) != 0)
			return -EIO;
	}
	return (int)size;
}

static int
vd_fsync(const char *p, int datasync, struct fuse_file_info *fi)
{
	int	i = path_of(p);

	(void)datasync; (void)fi;
	if (i < 0)
		return 0;
	if (vd.path[i].cut)
		return -EIO;
	vd.path[i].flushes++;
	return flush_path(&vd.path[i]);
}

/* Requests of 128 KiB at most: the bound of a path's dirty list. */
static void *
vd_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	conn->max_write = 128 * 1024;
	cfg->direct_io = 1;
	return NULL;
}

static const struct fuse_operations vd_ops = {
	.init		= vd_init,
	.getattr	= vd_getattr,
	.readdir	= vd_readdir,
	.open		= vd_open,
	.truncate	= vd_truncate,
	.read		= vd_read,
	.write		= vd_write,
	.fsync		= vd_fsync,
};

static void
usage(void)
{
	fprintf(stderr, "usage: pgha-vdisk [-n PATHS] [-c CACHE_MIB] STORE "
	    "MOUNTPOINT [FUSE OPTIONS]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct stat	 st;
	char		*fargv[16];
	int		 fargc = 0, c, cache_mib = 64;

	vd.npaths = 2;
	while ((c = getopt(argc, argv, "+n:c:")) != -1) {
		switch (c) {
		case 'n':
			vd.npaths = atoi(optarg);
			break;
		case 'c':
			cache_mib = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 2 || argc > 10 || vd.npaths < 1 ||
	    vd.npaths > MAX_PATHS || cache_mib < 1)
		usage();
	if ((vd.store = open(argv[0], O_RDWR)) == -1)
		die(argv[0]);
	if (fstat(vd.store, &st) == -1)
		die(argv[0]);
	vd.size = (uint64_t)st.st_size / BLK * BLK;
	vd.nblk = vd.size / BLK;
	vd.cache_max = (size_t)cache_mib * (1024 * 1024 / BLK);
	for (int i = 0; i < vd.npaths; i++) {
		struct vpath *vp = &vd.path[i];

		snprintf(vp->name, sizeof(vp->name), "node%d.img", i + 1);
		/* a write (128 KiB at most) may pass the limit by 33 blocks */
		vp->blk = calloc(vd.nblk, sizeof(*vp->blk));
		vp->dirty = calloc(vd.cache_max + 64, sizeof(*vp->dirty));
		if (vp->blk == NULL || vp->dirty == NULL)
			die("calloc");
	}
	fargv[fargc++] = "pgha-vdisk";
	fargv[fargc++] = "-f";
	fargv[fargc++] = "-s";
	fargv[fargc++] = "-o";
	fargv[fargc++] = "fsname=pgha-vdisk";
	for (int i = 1; i < argc; i++)
		fargv[fargc++] = argv[i];
	fargv[fargc] = NULL;
	return fuse_main(fargc, fargv, &vd_ops, NULL);
}
