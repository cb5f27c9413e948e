/* The few kernel types owners.bpf.c reads. preserve_access_index makes
 * clang emit CO-RE relocations, so libbpf-style loaders (cilium/ebpf) fix
 * every offset against the running kernel's BTF; a 3 MB vmlinux.h is not
 * needed. Only the fields used are declared. */
#ifndef KNS_KERNEL_H
#define KNS_KERNEL_H

typedef unsigned char __u8;
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef unsigned long long __u64;
typedef signed char __s8;
typedef short __s16;
typedef int __s32;
typedef long long __s64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u64 __be64;
typedef __u32 __wsum;
typedef __u16 __sum16;
typedef __u16 umode_t;

#define PAI __attribute__((preserve_access_index))

struct ns_common {
	unsigned int inum;
} PAI;

struct pid_namespace {
	struct ns_common ns;
} PAI;

struct upid {
	int nr;
	struct pid_namespace *ns;
} PAI;

struct pid {
	unsigned int level;
	struct upid numbers[1];
} PAI;

struct task_struct {
	int tgid;
	struct task_struct *group_leader;
	struct pid *thread_pid;
} PAI;

struct super_block {
	unsigned long s_magic;
} PAI;

struct inode {
	umode_t i_mode;
	unsigned long i_ino;
	struct super_block *i_sb;
} PAI;

struct file_operations;

struct file {
	unsigned int f_mode;
	const struct file_operations *f_op;
	struct inode *f_inode;
} PAI;

struct seq_file;

struct bpf_iter_meta {
	struct seq_file *seq;
	__u64 session_id;
	__u64 seq_num;
} PAI;

struct bpf_iter__task_file {
	union {
		struct bpf_iter_meta *meta;
	};
	union {
		struct task_struct *task;
	};
	__u32 fd;
	union {
		struct file *file;
	};
} PAI;

struct bpf_iter__task {
	union {
		struct bpf_iter_meta *meta;
	};
	union {
		struct task_struct *task;
	};
} PAI;

#endif
