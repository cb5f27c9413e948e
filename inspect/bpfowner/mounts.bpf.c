//go:build ignore

// A task iterator that walks each mount namespace's mounts once, in the
// kernel, and says which namespaces hold a namespace-file (nsfs) mount not
// already seen in a namespace visited before. User space then reads the
// mountinfo of those namespaces only: with N `ip netns exec` namespaces,
// each listing every one of N netns mounts, that is N files instead of N,
// for N x N lines of kernel text.
//
// Two nsfs mounts are "the same" when they mount the same inode at the
// same place: the same mount-point dentry under the same root dentry, at
// every level up to the namespace's root mount. Propagated copies (what
// `ip netns exec` namespaces hold) are; a bind of the same netns elsewhere,
// or under another root, is not. Anything the walk cannot vouch for (a
// bound reached, a count that does not add up) marks the namespace to read.

#include "mounts.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#define NSFS_MAGIC 0x6e736673
/* uapi values (linux/bpf.h is not included: kernel.h declares the types) */
#define BPF_MAP_TYPE_HASH 1
#define BPF_ANY 0
#define BPF_F_NO_PREALLOC 1
#define MAX_MOUNTS (1 << 20)
#define MAX_DEPTH 32
#define MAX_TREE 64

struct nsrec {
	__u32 mntns; /* the mount namespace's inode */
	__u32 read;  /* 1: its mountinfo has something new, or is uncertain */
};

/* Puts struct nsrec in the BTF, so bpf2go generates its Go type. */
const struct nsrec *unused_nsrec __attribute__((unused));

/* Entries are current when their value equals gen (set before each pass),
 * so -c refreshes need not clear the maps. A full map fails the insert,
 * and the namespace is then marked to read. */
volatile __u32 gen = 1;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1 << 14);
	__type(key, __u64);
	__type(value, __u32);
} seen_ns SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1 << 16);
	__type(key, __u64);
	__type(value, __u32);
} seen_mounts SEC(".maps");

struct walk {
	struct rb_node *node;
	/* The namespace's netns mounts mostly share a parent (its /run/netns
	 * mount): the parent's place is hashed once for a run of them. */
	struct mount *parent;
	__u64 parent_hash;
	__u32 walked;
	__u32 read;
	__u32 done;
};

/* The nsfs superblock (there is one), learnt from the first mount whose
 * s_magic says nsfs: later mounts are told by their mnt_sb alone. */
__u64 nsfs_sb = 0;

static __always_inline __u64 mix(__u64 h, __u64 v)
{
	/* splitmix64's finaliser over h ^ v */
	h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return h;
}

/* chain_hash identifies what a path below a mount shows: the mount's
 * root dentry, then its mount-point dentry and its parent's root dentry at
 * every level up to the namespace's root mount; 0 when it cannot be told. */
static __always_inline __u64 chain_hash(struct mount *cur)
{
	__u64 h = mix(0, (__u64)BPF_CORE_READ(cur, mnt.mnt_root));
	for (int d = 0; d < MAX_DEPTH; d++) {
		struct mount *parent = BPF_CORE_READ(cur, mnt_parent);
		if (!parent)
			return 0;
		if (parent == cur)
			return h ? h : 1;
		h = mix(h, (__u64)BPF_CORE_READ(cur, mnt_mountpoint));
		h = mix(h, (__u64)BPF_CORE_READ(parent, mnt.mnt_root));
		cur = parent;
	}
	return 0;
}

static __always_inline struct rb_node *leftmost(struct rb_node *n, __u32 *bad)
{
	for (int i = 0; i < MAX_TREE; i++) {
		struct rb_node *l = BPF_CORE_READ(n, rb_left);
		if (!l)
			return n;
		n = l;
	}
	*bad = 1;
	return 0;
}

/* next is rb_next() through probe reads. */
static __always_inline struct rb_node *next(struct rb_node *n, __u32 *bad)
{
	struct rb_node *r = BPF_CORE_READ(n, rb_right);
	if (r)
		return leftmost(r, bad);
	for (int i = 0; i < MAX_TREE; i++) {
		struct rb_node *p = (struct rb_node *)(BPF_CORE_READ(n, __rb_parent_color) & ~3UL);
		if (!p || BPF_CORE_READ(p, rb_right) != n)
			return p;
		n = p;
	}
	*bad = 1;
	return 0;
}

static long step(__u64 i, void *data)
{
	struct walk *w = data;
	struct rb_node *node = w->node;
	if (!node) {
		w->done = 1;
		return 1;
	}
	w->walked++;
	struct mount *m = (void *)node - bpf_core_field_offset(struct mount, mnt_node);
	struct super_block *sb = BPF_CORE_READ(m, mnt.mnt_sb);
	int nsfs = sb && (__u64)sb == nsfs_sb;
	if (!nsfs && sb && BPF_CORE_READ(sb, s_magic) == NSFS_MAGIC) {
		nsfs = 1;
		nsfs_sb = (__u64)sb;
	}
	if (nsfs) {
		/* What the mountinfo line shows: the namespace (one dentry
		 * per namespace in nsfs) and the mount point. */
		struct mount *parent = BPF_CORE_READ(m, mnt_parent);
		if (parent != w->parent) {
			w->parent = parent;
			w->parent_hash = parent ? chain_hash(parent) : 0;
		}
		__u64 key = 0;
		if (w->parent_hash) {
			key = mix(w->parent_hash, (__u64)BPF_CORE_READ(m, mnt_mountpoint));
			key = mix(key, (__u64)BPF_CORE_READ(m, mnt.mnt_root));
			key = key ? key : 1;
		}
		__u32 g = gen;
		__u32 *v = key ? bpf_map_lookup_elem(&seen_mounts, &key) : 0;
		if (!key) {
			w->read = 1;
		} else if (!v || *v != g) {
			w->read = 1;
			bpf_map_update_elem(&seen_mounts, &key, &g, BPF_ANY);
		}
	}
	__u32 bad = 0;
	w->node = next(node, &bad);
	if (bad) {
		w->read = 1;
		w->done = 1;
		return 1;
	}
	return 0;
}

SEC("iter/task")
int mountns(struct bpf_iter__task *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct___mnt *task = (void *)ctx->task;
	if (!task || (void *)task->group_leader != (void *)task)
		return 0;
	struct mnt_namespace *ns = BPF_CORE_READ(task, nsproxy, mnt_ns);
	if (!ns)
		return 0;
	__u64 nskey = (__u64)ns;
	__u32 g = gen;
	__u32 *v = bpf_map_lookup_elem(&seen_ns, &nskey);
	if (v && *v == g)
		return 0;
	struct nsrec r = {.mntns = BPF_CORE_READ(ns, ns.inum), .read = 1};
	if (bpf_map_update_elem(&seen_ns, &nskey, &g, BPF_ANY) == 0) {
		struct walk w = {};
		__u32 bad = 0;
		struct rb_node *top = BPF_CORE_READ(ns, mounts.rb_node);
		if (top)
			w.node = leftmost(top, &bad);
		if (!bad) {
			bpf_loop(MAX_MOUNTS, step, &w, 0);
			/* Mounts that came or went mid-walk, or a walk cut
			 * short: not vouched for. */
			r.read = w.read || !w.done || w.walked != BPF_CORE_READ(ns, nr_mounts);
		}
	}
	bpf_seq_write(seq, &r, sizeof(r));
	return 0;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
