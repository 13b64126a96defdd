/*
 * mmp.h - ext4 multi-mount protection at the disk agent's start (mmp.c).
 */
#ifndef PGHA_MMP_H
#define PGHA_MMP_H

/*
 * Before mounting device: if its ext4 has MMP and the block says "in
 * use", watch it for two update intervals; a holder that is alive is
 * refused (-1, said why on stderr), a stale block is cleared so that the
 * kernel mounts without its own 22-45 s wait.  0 when the mount may go
 * ahead (also when there is no MMP).
 */
int	mmp_prepare(const char *device);

#endif
