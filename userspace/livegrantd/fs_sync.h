/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fs_sync.h - putting what livegrantd wrote on the disk: the one way its
 * files (state, trust bundle cache, rotated denial logs) and the folders
 * that name them are synced.
 */
#ifndef LGD_FS_SYNC_H
#define LGD_FS_SYNC_H

/* fsync() the file or folder at @path: 0 or a negative errno. */
int lgd_fsync_path(const char *path);
/* fsync() the folder that holds @path (a new name in it): 0 or a negative errno. */
int lgd_fsync_dir_of(const char *path);

#endif /* LGD_FS_SYNC_H */
