//go:build ignore

// One walk of the host's TCP listening hash, TCP established hash (when
// asked: want_conns) and UDP hash, tagged by network namespace. Every
// namespace that shares the initial namespace's tables (all of them, unless
// tcp_child_ehash_entries / udp_child_hash_entries were set) has its
// sockets in those tables, and each per-namespace sock_diag dump
// walks all of them to pick its own: N namespaces cost N walks of every
// namespace's sockets. This program walks them once.
//
// It is a task iterator: for each thread-group leader it writes the leader's
// network namespace and which table (by index) holds that namespace's
// sockets, registering tables not seen before; after the last task it walks
// every registered table, and the UDP-Lite table (one for all namespaces,
// found through a UDP-Lite socket of the reader's own), and sends each
// socket to a ring buffer. User space
// takes a namespace's sockets from the walk only when the namespace was seen
// here, so one held only by a bind mount is dumped as before.

#include "socks.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

/* uapi values (linux/bpf.h is not included: kernel.h declares the types) */
#define BPF_MAP_TYPE_RINGBUF 27
#define BPF_RB_NO_WAKEUP 1
#define AF_INET6 10
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define IPPROTO_UDPLITE 136
/* Distinct tables registered per pass; a namespace whose table does not fit
 * is reported with index 0 (not walked). */
#define MAX_TABLES 16 /* a power of two */
/* bpf_loop's bound: one step per bucket and per socket. */
#define MAX_STEPS (1 << 23)
/* Established-hash heads read at once: most buckets are empty. */
#define CHUNK 32
/* Walks of one established bucket before the pass gives up (see step_est). */
#define MAX_REDO 8
#define TCP_TIME_WAIT 6
#define TCP_NEW_SYN_RECV 12

struct netrec {
	__u32 netns; /* the network namespace's inode */
	__u8 tcp;    /* 1 + index of its TCP table; 0: not walked */
	__u8 udp;    /* 1 + index of its UDP table; 0: not walked */
	__u16 pad;
};

struct sockrec {
	__u32 netns;
	__u32 uid;
	__u64 ino;
	__u32 rqueue;
	__u32 wqueue;
	__u16 family;
	__u8 proto;
	__u8 state;
	__u16 sport; /* host order, as skc_num */
	__u16 dport; /* network order, as skc_dport */
	__u8 src[16];
	__u8 dst[16];
	__u32 bucket; /* REC_EHASH: the established-hash bucket it was found in */
	__u32 flags;  /* REC_*, and the table's index << 8 */
};

enum {
	REC_EHASH = 1,   /* from the established hash */
	REC_RETRACT = 2, /* no socket: drop what was sent of this bucket, it is walked again */
};

/* Put the record types in the BTF, so bpf2go generates their Go types. */
const struct netrec *unused_netrec __attribute__((unused));
const struct sockrec *unused_sockrec __attribute__((unused));

/* Sized by the loader; a pass that does not fit is reported (lost) and
 * user space dumps instead. Read after the pass: no wake-ups. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
} socks_rb SEC(".maps");

/* Set by the loader: the reader's fd of an unbound UDP-Lite socket, whose
 * protocol leads to the UDP-Lite table (-1: none, UDP-Lite is dumped). */
volatile const __s32 udplite_fd = -1;

/* Pointers are kept as __u64: bpf2go gives every global a Go type. */
__u64 udplite_table = 0;
__u64 tcp_tables[MAX_TABLES];
__u64 udp_tables[MAX_TABLES];
__u32 n_tcp = 0;
__u32 n_udp = 0;
/* Set by user space before a pass: walk the established hashes too. */
__u32 want_conns = 0;
/* Set by tests: walk every force_redo'th established bucket twice, as if a
 * socket had moved (the retraction path is otherwise a rare race). */
__u32 force_redo = 0;
__u64 chunk[CHUNK];

enum { PHASE_TCP, PHASE_EST, PHASE_UDP, PHASE_UDPLITE, PHASE_DONE };

/* The walk's state is a global, not on the stack, as in mounts.bpf.c: the
 * verifier checks the step once. Read by user space after the pass. */
struct walk {
	__u64 session;
	__u64 base;   /* this table's bucket array; 0: table not started */
	__u64 node;   /* the next node in this bucket; 0: load the next bucket */
	__u32 phase;
	__u32 table;
	__u32 bucket;
	__u32 nbuckets;
	__u32 done;   /* every table walked to its end */
	__u32 lost;   /* records the ring buffer had no room for */
	__u32 sent;
	__u32 udplite; /* the UDP-Lite table was walked */
	__u32 conns;   /* the established hashes were walked */
	__u32 cur;     /* the established bucket being walked */
	__u32 redo;    /* walks of cur so far, less one */
	__u32 redone;  /* established buckets walked again, in all */
};

struct walk walk;

static __always_inline __u32 table_index(__u64 *tables, __u32 *n, __u64 t)
{
	if (!t)
		return 0;
	for (__u32 i = 0; i < MAX_TABLES; i++) {
		if (i >= *n)
			break;
		if (tables[i] == t)
			return i + 1;
	}
	__u32 i = *n;
	if (i >= MAX_TABLES)
		return 0;
	barrier_var(i);
	tables[i & (MAX_TABLES - 1)] = t;
	*n = i + 1;
	return i + 1;
}

static __always_inline void send(struct sockrec *r)
{
	if (bpf_ringbuf_output(&socks_rb, r, sizeof(*r), BPF_RB_NO_WAKEUP))
		walk.lost++;
	else
		walk.sent++;
}

/* emit sends one socket. est: it is from the established hash, where a
 * timewait or request sock has only the sock_common part of a sock. */
static __always_inline void emit(struct sock *sk, __u8 proto, int est)
{
	struct sockrec r = {.proto = proto};
	if (est) {
		/* Being freed: the dump's refcount_inc_not_zero skips it too. */
		if (!BPF_CORE_READ(sk, __sk_common.skc_refcnt.refs.counter))
			return;
		r.flags = REC_EHASH | walk.table << 8;
		r.bucket = walk.cur;
	}
	struct net *net = BPF_CORE_READ(sk, __sk_common.skc_net.net);
	r.netns = BPF_CORE_READ(net, ns.inum);
	r.family = BPF_CORE_READ(sk, __sk_common.skc_family);
	r.state = BPF_CORE_READ(sk, __sk_common.skc_state);
	r.sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	r.dport = BPF_CORE_READ(sk, __sk_common.skc_dport);
	/* What inet_diag_msg_common_fill reports. */
	if (r.family == AF_INET6) {
		BPF_CORE_READ_INTO(&r.src, sk, __sk_common.skc_v6_rcv_saddr);
		BPF_CORE_READ_INTO(&r.dst, sk, __sk_common.skc_v6_daddr);
	} else {
		__be32 a = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		__builtin_memcpy(r.src, &a, sizeof(a));
		a = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		__builtin_memcpy(r.dst, &a, sizeof(a));
	}
	if (r.state == TCP_TIME_WAIT) {
		/* inet_twsk_diag_fill: the substate, no queues, uid or inode. */
		r.state = BPF_CORE_READ((struct inet_timewait_sock *)sk, tw_substate);
		goto out;
	}
	if (r.state == TCP_NEW_SYN_RECV) /* inet_req_diag_fill: nor here */
		goto out;
	r.uid = BPF_CORE_READ(sk, sk_uid.val);
	/* sock_i_ino: sk_ino where the kernel keeps it, else the socket
	 * inode's number. */
	if (bpf_core_field_exists(sk->sk_ino)) {
		r.ino = BPF_CORE_READ(sk, sk_ino);
	} else {
		struct socket *so = BPF_CORE_READ(sk, sk_socket);
		if (so) {
			struct socket_alloc *sa = (void *)so - bpf_core_field_offset(struct socket_alloc, socket);
			r.ino = BPF_CORE_READ(sa, vfs_inode.i_ino);
		}
	}
	if (est) {
		/* tcp_diag_get_info for a connection. */
		struct tcp_sock *tp = (void *)sk;
		int rq = BPF_CORE_READ(tp, rcv_nxt) - BPF_CORE_READ(tp, copied_seq);
		r.rqueue = rq < 0 ? 0 : rq;
		r.wqueue = BPF_CORE_READ(tp, write_seq) - BPF_CORE_READ(tp, snd_una);
	} else if (proto == IPPROTO_TCP) {
		/* A listener's receive queue is its accept backlog (tcp_diag_get_info). */
		r.rqueue = BPF_CORE_READ(sk, sk_ack_backlog);
	} else {
		/* udp_diag_get_info: udp_rqueue_get and sk_wmem_alloc_get. */
		int rmem = BPF_CORE_READ(sk, sk_backlog.rmem_alloc.counter);
		int deficit = BPF_CORE_READ((struct udp_sock *)sk, forward_deficit);
		int wmem = BPF_CORE_READ(sk, sk_wmem_alloc.refs.counter) - 1;
		r.rqueue = rmem - deficit;
		r.wqueue = wmem;
	}
out:
	send(&r);
}

/* The sock a hash node belongs to. */
static __always_inline struct sock *sock_of(__u64 node, int nulls)
{
	__u64 off = nulls ? bpf_core_field_offset(struct sock_common, skc_nulls_node)
			  : bpf_core_field_offset(struct sock_common, skc_node);
	return (void *)(node - off - bpf_core_field_offset(struct sock, __sk_common));
}

/* start_bucket begins walking established bucket b at node first. */
static __always_inline void start_bucket(struct walk *w, __u32 b, __u64 first)
{
	w->cur = b;
	w->redo = 0;
	w->node = first;
}

/* step_est makes one move in table t's established hash. Its sockets are
 * SLAB_TYPESAFE_BY_RCU: one freed while the walk is on it may be reused at
 * once and hashed into another bucket, taking the walk with it. Each chain
 * ends in a "nulls" marker naming its bucket (INIT_HLIST_NULLS_HEAD), as the
 * kernel's own lockless lookups check: ending in another bucket's, the
 * bucket is retracted (user space drops what was sent of it) and walked
 * again. */
static __always_inline long step_est(struct walk *w, __u64 t)
{
	__u64 bsz = bpf_core_type_size(struct inet_ehash_bucket);
	__u64 foff = bpf_core_field_offset(struct inet_ehash_bucket, chain.first);
	__u64 first;
	if (!w->base) {
		struct inet_hashinfo *h = (void *)tcp_tables[t];
		w->base = (__u64)BPF_CORE_READ(h, ehash);
		w->nbuckets = BPF_CORE_READ(h, ehash_mask) + 1;
		w->bucket = 0;
		w->node = 0;
		return w->base ? 0 : 1;
	}
	if (!w->node) {
		if (w->bucket >= w->nbuckets) {
			w->table++;
			w->base = 0;
			return 0;
		}
		__u64 at = w->base + (__u64)w->bucket * bsz;
		if (w->nbuckets - w->bucket >= CHUNK && bsz == sizeof(chunk[0]) && foff == 0) {
			if (bpf_probe_read_kernel(chunk, sizeof(chunk), (void *)at))
				return 1;
			for (int k = 0; k < CHUNK; k++) {
				if (!(chunk[k] & 1)) {
					start_bucket(w, w->bucket + k, chunk[k]);
					w->bucket += k + 1;
					return 0;
				}
			}
			w->bucket += CHUNK;
			return 0;
		}
		if (bpf_probe_read_kernel(&first, sizeof(first), (void *)(at + foff)))
			return 1;
		if (!(first & 1))
			start_bucket(w, w->bucket, first);
		w->bucket++;
		return 0;
	}
	__u64 n = w->node;
	emit(sock_of(n, 1), IPPROTO_TCP, 1);
	__u64 next = (__u64)BPF_CORE_READ((struct hlist_nulls_node *)n, next);
	if (!(next & 1)) {
		w->node = next;
		return 0;
	}
	w->node = 0;
	if ((next >> 1) == w->cur && !(force_redo && !w->redo && w->cur % force_redo == 0))
		return 0;
	struct sockrec r = {.bucket = w->cur, .flags = REC_RETRACT | w->table << 8};
	send(&r);
	if (++w->redo >= MAX_REDO)
		return 1; /* not done: user space dumps instead */
	w->redone++;
	if (bpf_probe_read_kernel(&first, sizeof(first), (void *)(w->base + (__u64)w->cur * bsz + foff)))
		return 1;
	if (!(first & 1))
		w->node = first;
	return 0;
}

/* step makes one move: start a table, load a bucket's first node, or send
 * one socket and go to the next node. Listeners and UDP sockets are freed
 * only after an RCU grace period (SOCK_RCU_FREE), and the program runs under
 * rcu_read_lock, so a node reached stays readable; a socket added or removed
 * during the walk may or may not be seen, as with /proc/net. */
static long step(__u64 i, void *data)
{
	struct walk *w = &walk;
	if (w->phase == PHASE_TCP && w->table >= n_tcp) {
		w->phase = PHASE_EST;
		w->table = 0;
		w->base = 0;
	}
	if (w->phase == PHASE_EST && (w->table >= n_tcp || !want_conns)) {
		w->conns = want_conns != 0;
		w->phase = PHASE_UDP;
		w->table = 0;
		w->base = 0;
	}
	if (w->phase == PHASE_UDP && w->table >= n_udp) {
		w->phase = PHASE_UDPLITE;
		w->table = 0;
		w->base = 0;
	}
	if (w->phase == PHASE_UDPLITE && (w->table >= 1 || !udplite_table)) {
		w->phase = PHASE_DONE;
		w->done = 1;
		w->udplite = udplite_table != 0;
		return 1;
	}
	if (w->phase != PHASE_TCP && w->phase != PHASE_EST && w->phase != PHASE_UDP && w->phase != PHASE_UDPLITE)
		return 1;
	int tcp = w->phase == PHASE_TCP;
	__u32 proto = tcp ? IPPROTO_TCP : w->phase == PHASE_UDP ? IPPROTO_UDP : IPPROTO_UDPLITE;
	__u64 t = w->table;
	if (t >= MAX_TABLES)
		return 1;
	/* The verifier must see the bound on the register used as index. */
	barrier_var(t);
	t &= MAX_TABLES - 1;
	if (w->phase == PHASE_EST)
		return step_est(w, t);
	if (!w->base) {
		if (tcp) {
			struct inet_hashinfo *h = (void *)tcp_tables[t];
			w->base = (__u64)BPF_CORE_READ(h, lhash2);
			w->nbuckets = BPF_CORE_READ(h, lhash2_mask) + 1;
		} else {
			struct udp_table *u = (void *)(proto == IPPROTO_UDP ? udp_tables[t] : udplite_table);
			w->base = (__u64)BPF_CORE_READ(u, hash);
			w->nbuckets = BPF_CORE_READ(u, mask) + 1;
		}
		w->bucket = 0;
		w->node = 0;
		if (!w->base) /* no table: stop, not done */
			return 1;
		return 0;
	}
	if (!w->node) {
		if (w->bucket >= w->nbuckets) {
			w->table++;
			w->base = 0;
			return 0;
		}
		__u64 b = w->base;
		__u64 first;
		if (tcp) {
			b += (__u64)w->bucket * bpf_core_type_size(struct inet_listen_hashbucket);
			first = (__u64)BPF_CORE_READ((struct inet_listen_hashbucket *)b, nulls_head.first);
			/* A nulls list ends with an odd "pointer" (is_a_nulls). */
			if (first & 1)
				first = 0;
		} else {
			b += (__u64)w->bucket * bpf_core_type_size(struct udp_hslot);
			first = (__u64)BPF_CORE_READ((struct udp_hslot *)b, head.first);
		}
		w->bucket++;
		w->node = first;
		return 0;
	}
	__u64 n = w->node;
	emit(sock_of(n, tcp), proto, 0);
	__u64 next;
	if (tcp) {
		next = (__u64)BPF_CORE_READ((struct hlist_nulls_node *)n, next);
		if (next & 1)
			next = 0;
	} else {
		next = (__u64)BPF_CORE_READ((struct hlist_node *)n, next);
	}
	w->node = next;
	return 0;
}

/* find_udplite follows the reader's UDP-Lite socket to its protocol's table:
 * fd table, file, socket, sock, proto. The program runs in the reader's
 * read(), so the current task is the reader. */
static __always_inline __u64 find_udplite(void)
{
	if (udplite_fd < 0)
		return 0;
	struct task_struct___files *me = (void *)bpf_get_current_task_btf();
	struct fdtable *fdt = BPF_CORE_READ(me, files, fdt);
	if (!fdt || (__u32)udplite_fd >= BPF_CORE_READ(fdt, max_fds))
		return 0;
	struct file___priv **fds = BPF_CORE_READ(fdt, fd);
	struct file___priv *f = 0;
	if (bpf_probe_read_kernel(&f, sizeof(f), fds + udplite_fd) || !f)
		return 0;
	struct socket *so = BPF_CORE_READ(f, private_data);
	struct sock *sk = so ? BPF_CORE_READ(so, sk) : 0;
	if (!sk || BPF_CORE_READ(sk, sk_protocol) != IPPROTO_UDPLITE)
		return 0;
	return (__u64)BPF_CORE_READ(sk, __sk_common.skc_prot, h.udp_table);
}

SEC("iter/task")
int socks(struct bpf_iter__task *ctx)
{
	__u64 session = ctx->meta->session_id;
	if (session != walk.session) {
		/* A new pass: forget the last one's tables and walk. */
		walk = (struct walk){.session = session};
		n_tcp = 0;
		n_udp = 0;
	}
	struct task_struct___net *task = (void *)ctx->task;
	if (!task) {
		/* After the last task: walk what was registered. */
		udplite_table = find_udplite();
		bpf_loop(MAX_STEPS, step, 0, 0);
		return 0;
	}
	if ((void *)task->group_leader != (void *)task)
		return 0;
	struct net *net = BPF_CORE_READ(task, nsproxy, net_ns);
	if (!net)
		return 0;
	struct netrec r = {.netns = BPF_CORE_READ(net, ns.inum)};
	r.tcp = table_index(tcp_tables, &n_tcp, (__u64)BPF_CORE_READ(net, ipv4.tcp_death_row.hashinfo));
	r.udp = table_index(udp_tables, &n_udp, (__u64)BPF_CORE_READ(net, ipv4.udp_table));
	bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
	return 0;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
