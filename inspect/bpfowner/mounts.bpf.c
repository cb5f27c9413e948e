//go:build ignore

// A task iterator that walks each mount namespace's mounts once, in the
// kernel, and says which namespaces hold a namespace-file (nsfs) mount not
// already seen in a namespace visited before. User space then reads the
// mountinfo of those namespaces only: with N `ip netns exec` namespaces,
// each listing every one of N netns mounts, that is a few files instead of
// N files of N lines of kernel text each.
//
// Two nsfs mounts are "the same" when they mount the same namespace dentry
// at the same place: the same mount-point dentry under the same root
// dentry, at every level up to the namespace's root mount. Propagated copies (what
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
/* bpf_loop steps per mount namespace (each step is one move in the tree,
 * one level of a mount's ancestry or one mount's check) and levels of
 * ancestry per mount; beyond either the namespace is marked to read. */
#define MAX_STEPS (1 << 22)
#define MAX_DEPTH 64

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

/* The walk is an in-order traversal of the namespace's mount tree done
 * one step per bpf_loop callback, so the callback has no loop of its own
 * and the verifier checks it once. */
enum { DESCEND, VISIT, CHAIN, NEXT, CLIMB };

/* Pointers are kept as __u64: bpf2go gives every global a Go type. */
struct walk {
	__u64 node; /* struct rb_node * */
	__u32 mode;
	__u32 walked;
	__u32 read;
	__u32 done;
	/* The namespace's netns mounts mostly share a parent (its /run/netns
	 * mount): the parent's place is hashed once for a run of them. */
	__u64 parent; /* struct mount * */
	__u64 parent_hash;
	/* CHAIN: the mount reached so far up the parent's ancestry */
	__u64 up; /* struct mount * */
	__u64 h;
	__u32 depth;
};

/* The walk's state is a global, not on the stack: values loaded from a
 * map are not tracked from one callback to the next, so the verifier
 * checks the step once instead of once per value of its counters. One
 * walk at a time: user space runs one pass at a time. */
struct walk walk;

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

static __always_inline struct mount *mount_of(struct rb_node *n)
{
	return (void *)n - bpf_core_field_offset(struct mount, mnt_node);
}

/* check records one nsfs mount whose parent's place is w->parent_hash. */
static __always_inline void check(struct walk *w, struct mount *m)
{
	__u64 key = 0;
	if (w->parent_hash) {
		/* What the mountinfo line shows: the namespace (one dentry per
		 * namespace in nsfs) and where it is mounted. */
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

static long step(__u64 i, void *data)
{
	struct walk *w = &walk;
	struct rb_node *n = (struct rb_node *)w->node;
	if (!n) {
		w->done = 1;
		return 1;
	}
	switch (w->mode) {
	case DESCEND: { /* to the leftmost node below n */
		struct rb_node *l = BPF_CORE_READ(n, rb_left);
		if (l)
			w->node = (__u64)l;
		else
			w->mode = VISIT;
		return 0;
	}
	case VISIT: {
		w->walked++;
		w->mode = NEXT;
		struct mount *m = mount_of(n);
		struct super_block *sb = BPF_CORE_READ(m, mnt.mnt_sb);
		if (!sb)
			return 0;
		if ((__u64)sb != nsfs_sb) {
			if (BPF_CORE_READ(sb, s_magic) != NSFS_MAGIC)
				return 0;
			nsfs_sb = (__u64)sb;
		}
		struct mount *parent = BPF_CORE_READ(m, mnt_parent);
		if ((__u64)parent == w->parent) {
			check(w, m);
			return 0;
		}
		/* Hash where the new parent sits: its root dentry, then one
		 * (mount point, parent's root) pair per level, in CHAIN. */
		w->parent = (__u64)parent;
		w->parent_hash = 0;
		if (!parent) {
			check(w, m);
			return 0;
		}
		w->up = (__u64)parent;
		w->h = mix(0, (__u64)BPF_CORE_READ(parent, mnt.mnt_root));
		w->depth = 0;
		w->mode = CHAIN;
		return 0;
	}
	case CHAIN: {
		struct mount *cur = (struct mount *)w->up;
		struct mount *up = BPF_CORE_READ(cur, mnt_parent);
		if (up == cur || !up || ++w->depth > MAX_DEPTH) {
			/* the namespace's root mount (its own parent); else
			 * not told: parent_hash stays 0 and check marks it */
			if (up == cur)
				w->parent_hash = w->h ? w->h : 1;
			check(w, mount_of(n));
			w->mode = NEXT;
			return 0;
		}
		w->h = mix(w->h, (__u64)BPF_CORE_READ(cur, mnt_mountpoint));
		w->h = mix(w->h, (__u64)BPF_CORE_READ(up, mnt.mnt_root));
		w->up = (__u64)up;
		return 0;
	}
	case NEXT: {
		struct rb_node *r = BPF_CORE_READ(n, rb_right);
		if (r) {
			w->node = (__u64)r;
			w->mode = DESCEND;
		} else {
			w->mode = CLIMB;
		}
		return 0;
	}
	default: { /* CLIMB: up while n is its parent's right child */
		struct rb_node *p = (struct rb_node *)(BPF_CORE_READ(n, __rb_parent_color) & ~3UL);
		w->node = (__u64)p;
		if (p && BPF_CORE_READ(p, rb_right) != n)
			w->mode = VISIT;
		return 0;
	}
	}
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
		walk = (struct walk){.node = (__u64)BPF_CORE_READ(ns, mounts.rb_node), .mode = DESCEND};
		bpf_loop(MAX_STEPS, step, 0, 0);
		/* Mounts that came or went mid-walk, or a walk cut short: not
		 * vouched for. */
		r.read = walk.read || !walk.done || walk.walked != BPF_CORE_READ(ns, nr_mounts);
	}
	bpf_seq_write(seq, &r, sizeof(r));
	return 0;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
