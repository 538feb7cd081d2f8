/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The receivers' sink of bench_rtpengine.py: a tc ingress program (cls_bpf, direct action) on
 * their veth that drops IPv4 UDP as it arrives and passes everything else (ARP, which the
 * relays need to reach them). On veth the far end's kernel work for each relayed packet runs
 * in the sending relay's context and is charged to it, where a real receiver is another
 * machine: dropping at tc ingress keeps that charge to the veth hop, the same for every relay
 * measured, instead of adding the receivers' IP input, routing and netfilter. The packets
 * are counted in the veth's rx_packets before, and packet sockets (the overload run's
 * arrival times) see them before tc. Not XDP: veth copies every skb into a page for an XDP
 * program. Built by the bench at run time: clang -O2 -target bpf -c sink_drop.c.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/pkt_cls.h>

#define SEC(name) __attribute__((section(name), used))

/* A frame sent from an AF_PACKET ring (both relays' senders) keeps its payload in page
 * fragments: the IP header is read with the helper, not through skb->data. */
static long (*load_bytes)(const void *skb, __u32 off, void *to, __u32 len) =
	(void *)BPF_FUNC_skb_load_bytes;

SEC("tc")
int sink(struct __sk_buff *skb)
{
	__u8 proto;

	if (skb->protocol != __builtin_bswap16(ETH_P_IP))
		return TC_ACT_OK;
	if (load_bytes(skb, ETH_HLEN + 9, &proto, 1) != 0 || proto != IPPROTO_UDP)
		return TC_ACT_OK;
	return TC_ACT_SHOT;
}

char _license[] SEC("license") = "GPL";
