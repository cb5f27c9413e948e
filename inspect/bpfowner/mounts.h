/* The kernel types mounts.bpf.c reads (CO-RE, as in kernel.h). struct mount
 * and the rbtree of a mount namespace's mounts are kernel-internal: they are
 * those of Linux 6.8 and later (earlier kernels keep a list, and the loader
 * falls back to reading every mountinfo). */
#ifndef KNS_MOUNTS_H
#define KNS_MOUNTS_H

#include "kernel.h"

struct rb_node {
	unsigned long __rb_parent_color;
	struct rb_node *rb_right;
	struct rb_node *rb_left;
} PAI;

struct rb_root {
	struct rb_node *rb_node;
} PAI;

/* Only compared as pointers: one dentry per namespace in nsfs, and a
 * mount point is a dentry of its parent mount. */
struct dentry;

struct vfsmount {
	struct dentry *mnt_root;
	struct super_block *mnt_sb;
} PAI;

struct mount {
	struct mount *mnt_parent;
	struct dentry *mnt_mountpoint;
	struct vfsmount mnt;
	union {
		struct rb_node mnt_node;
	};
} PAI;

struct mnt_namespace {
	struct ns_common ns;
	union {
		struct rb_root mounts;
	};
	unsigned int nr_mounts;
} PAI;

struct nsproxy {
	struct mnt_namespace *mnt_ns;
} PAI;

struct task_struct___mnt {
	struct task_struct *group_leader;
	struct nsproxy *nsproxy;
} PAI;

#endif
