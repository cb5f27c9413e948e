//go:build ignore

// A task_file iterator: the kernel calls it once per (task, fd, file) of
// every task visible in the reader's pid namespace. It writes one record
// per socket file and per nsfs file of a thread-group leader, so user space
// learns every socket's holders in one pass instead of a readlink per fd.

#include "kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define NSFS_MAGIC 0x6e736673
#define SOCKFS_MAGIC 0x534f434b
#define FMODE_PATH 0x4000
#define MAX_PID_LEVEL 32 /* MAX_PID_NS_LEVEL */

enum { KIND_SOCKET = 1, KIND_NSFS = 2 };

struct record {
	__u32 tgid; /* in the reader's pid namespace */
	__u32 fd;
	__u64 ino; /* socket or nsfs inode */
	__u32 kind;
	__u32 pad;
};

/* Puts struct record in the BTF, so bpf2go generates its Go type. */
const struct record *unused_record __attribute__((unused));

/* Set by the loader: the inode of the reader's pid namespace. */
volatile const __u32 pidns_ino = 0;

/* Set before each pass: 0 when only namespace files are wanted (discovery
 * without -p), so tens of thousands of socket records are not written out
 * only to be dropped. */
volatile __u32 want_sockets = 1;

/* The file_operations of socket files and of (non-O_PATH) namespace files,
 * learnt from the first such file the inode checks find: each kind has one
 * f_op (socket_file_ops, ns_file_operations) used by no other file, so later
 * files are told from struct file alone, without a cache miss on their inode
 * (and for -tuln without any inode read for the host's many sockets).
 * O_PATH files all share empty_fops and are never learnt. */
__u64 sock_fop = 0;
__u64 nsfs_fop = 0;

/* The iterator visits one task's files in a row: the pid translation is
 * done once per task. One reader per loaded program (user space locks). */
__u64 last_session = 0;
struct task_struct *last_task = 0;
__u32 last_tgid = 0; /* 0: skip this task */

/* tgid_in_ns is the task's tgid as the reader's pid namespace numbers it,
 * or 0 when the task is not a thread-group leader (netstat reads
 * /proc/PID/fd: the leader's table) or not numbered there. */
static __always_inline __u32 tgid_in_ns(struct task_struct *task)
{
	if (task->group_leader != task)
		return 0;
	struct pid *p = task->thread_pid;
	if (!p)
		return 0;
	unsigned int level = p->level;
	__u64 base = (__u64)p + bpf_core_field_offset(struct pid, numbers);
	__u64 size = bpf_core_type_size(struct upid);
	__u64 nr_off = bpf_core_field_offset(struct upid, nr);
	__u64 ns_off = bpf_core_field_offset(struct upid, ns);
	for (int i = 0; i < MAX_PID_LEVEL; i++) {
		if (i > level)
			break;
		struct pid_namespace *ns = 0;
		int nr = 0;
		__u64 u = base + (__u64)i * size;
		if (bpf_probe_read_kernel(&ns, sizeof(ns), (void *)(u + ns_off)))
			return 0;
		if (!ns || BPF_CORE_READ(ns, ns.inum) != pidns_ino)
			continue;
		if (bpf_probe_read_kernel(&nr, sizeof(nr), (void *)(u + nr_off)))
			return 0;
		return nr > 0 ? nr : 0;
	}
	return 0;
}

SEC("iter/task_file")
int owners(struct bpf_iter__task_file *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	if (!task || !file)
		return 0;

	/* task and file are BTF pointers: direct loads, which the verifier
	 * makes fault-safe, instead of a bpf_probe_read_kernel call per field.
	 * The socket's own struct sock (its netns) is not read, as user space
	 * keys owners by inode alone. */
	__u64 fop = (__u64)file->f_op;
	struct inode *inode = file->f_inode;
	if (!inode || !fop)
		return 0;
	__u32 kind;
	if (fop == sock_fop) {
		kind = KIND_SOCKET;
	} else if (fop == nsfs_fop) {
		kind = KIND_NSFS;
	} else {
		/* A socket is a sockfs inode: an O_PATH fd on a UNIX socket's
		 * path is S_IFSOCK too, but on the path's file system, and its
		 * inode number is not a socket's. */
		umode_t mode = inode->i_mode;
		unsigned long magic = inode->i_sb->s_magic;
		int path = file->f_mode & FMODE_PATH;
		if ((mode & S_IFMT) == S_IFSOCK && magic == SOCKFS_MAGIC) {
			kind = KIND_SOCKET;
			if (!path)
				sock_fop = fop;
		} else if (magic == NSFS_MAGIC) {
			kind = KIND_NSFS;
			if (!path)
				nsfs_fop = fop;
		} else {
			return 0;
		}
	}
	if (kind == KIND_SOCKET && !want_sockets)
		return 0;

	__u64 session = ctx->meta->session_id;
	if (session != last_session || task != last_task) {
		last_session = session;
		last_task = task;
		last_tgid = tgid_in_ns(task);
	}
	if (!last_tgid)
		return 0;

	struct record r = {
		.tgid = last_tgid,
		.fd = ctx->fd,
		.ino = inode->i_ino,
		.kind = kind,
	};
	bpf_seq_write(seq, &r, sizeof(r));
	return 0;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
