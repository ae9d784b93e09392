/* SPDX-License-Identifier: GPL-2.0 */
/*
 * debugfs: /sys/kernel/debug/vbuddy/ and a directory per pool (module/debugfs.c).
 */
#ifndef _VBUDDY_DEBUGFS_H
#define _VBUDDY_DEBUGFS_H

struct vbuddy_pool;

void vbuddy_debugfs_init(void);
void vbuddy_debugfs_exit(void);
void vbuddy_debugfs_pool_add(struct vbuddy_pool *pool);
void vbuddy_debugfs_pool_remove(struct vbuddy_pool *pool);

#endif /* _VBUDDY_DEBUGFS_H */
