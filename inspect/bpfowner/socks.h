/* The kernel types socks.bpf.c reads (CO-RE, as in kernel.h). The per-netns
 * table pointers (netns_ipv4.tcp_death_row.hashinfo, netns_ipv4.udp_table)
 * are those of Linux 6.2 and later; on older kernels the program does not
 * load and every namespace is read with sock_diag, as before. */
#ifndef KNS_SOCKS_H
#define KNS_SOCKS_H

#include "kernel.h"

struct hlist_node {
	struct hlist_node *next;
} PAI;

struct hlist_head {
	struct hlist_node *first;
} PAI;

struct hlist_nulls_node {
	struct hlist_nulls_node *next;
} PAI;

struct hlist_nulls_head {
	struct hlist_nulls_node *first;
} PAI;

struct inet_listen_hashbucket {
	struct hlist_nulls_head nulls_head;
} PAI;

struct inet_ehash_bucket {
	struct hlist_nulls_head chain;
} PAI;

struct inet_hashinfo {
	struct inet_ehash_bucket *ehash;
	unsigned int ehash_mask;
	unsigned int lhash2_mask;
	struct inet_listen_hashbucket *lhash2;
} PAI;

struct inet_timewait_death_row {
	struct inet_hashinfo *hashinfo;
} PAI;

struct udp_hslot {
	union {
		struct hlist_head head;
	};
} PAI;

struct udp_table {
	struct udp_hslot *hash;
	unsigned int mask;
} PAI;

struct netns_ipv4 {
	struct inet_timewait_death_row tcp_death_row;
	struct udp_table *udp_table;
} PAI;

struct net {
	struct ns_common ns;
	struct netns_ipv4 ipv4;
} PAI;

struct in6_addr {
	union {
		__u8 u6_addr8[16];
	} in6_u;
} PAI;

typedef struct {
	struct net *net;
} possible_net_t;

struct proto {
	union {
		struct udp_table *udp_table;
	} h;
} PAI;

typedef struct {
	int counter;
} atomic_t;

typedef struct refcount_struct {
	atomic_t refs;
} refcount_t;

struct sock_common {
	union {
		struct {
			__be32 skc_daddr;
			__be32 skc_rcv_saddr;
		};
	};
	union {
		struct {
			__be16 skc_dport;
			__u16 skc_num;
		};
	};
	unsigned short skc_family;
	volatile unsigned char skc_state;
	refcount_t skc_refcnt;
	struct proto *skc_prot;
	possible_net_t skc_net;
	struct in6_addr skc_v6_daddr;
	struct in6_addr skc_v6_rcv_saddr;
	union {
		struct hlist_node skc_node;
		struct hlist_nulls_node skc_nulls_node;
	};
} PAI;

typedef struct {
	unsigned int val;
} kuid_t;

struct sock;

struct socket {
	short type;
	struct sock *sk;
} PAI;

struct socket_alloc {
	struct socket socket;
	struct inode vfs_inode;
} PAI;

struct sock {
	struct sock_common __sk_common;
	struct {
		atomic_t rmem_alloc;
	} sk_backlog;
	refcount_t sk_wmem_alloc;
	kuid_t sk_uid;
	__u16 sk_protocol;
	__u32 sk_ack_backlog;
	unsigned long sk_ino; /* Linux 6.17 and later */
	struct socket *sk_socket;
} PAI;

/* Established hash entries that are not full sockets: both begin with a
 * struct sock_common (skc_state TCP_TIME_WAIT, TCP_NEW_SYN_RECV). */
struct inet_timewait_sock {
	unsigned char tw_substate;
} PAI;

struct tcp_sock {
	__u32 rcv_nxt;
	__u32 copied_seq;
	__u32 write_seq;
	__u32 snd_una;
} PAI;

struct udp_sock {
	int forward_deficit;
} PAI;

struct file___priv {
	void *private_data;
} PAI;

struct fdtable {
	unsigned int max_fds;
	struct file___priv **fd;
} PAI;

struct files_struct {
	struct fdtable *fdt;
} PAI;

struct task_struct___files {
	struct files_struct *files;
} PAI;

struct nsproxy___net {
	struct net *net_ns;
} PAI;

struct task_struct___net {
	struct task_struct *group_leader;
	struct nsproxy___net *nsproxy;
} PAI;

#endif
