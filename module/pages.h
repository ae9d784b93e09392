/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The page API's state of a pool: blocks freed while still referenced
 * (module/pages.c).
 */
#ifndef _VBUDDY_PAGES_H
#define _VBUDDY_PAGES_H

struct vbuddy_pool;

int vbuddy_pages_init(struct vbuddy_pool *pool);
void vbuddy_pages_destroy(struct vbuddy_pool *pool);

#endif /* _VBUDDY_PAGES_H */
