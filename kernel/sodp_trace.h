/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * sodp: trace events, so that a stall under loss or an ODP storm can be
 * explained from tracefs (events/sodp/) rather than guessed:
 *
 *   sodp_retry        the requester decided to retransmit, and why
 *   sodp_rewind       it went back to head (what it will resend)
 *   sodp_nak_sent     the responder NAKed (sequence, RNR, error)
 *   sodp_nak_recv     the completer got a NAK
 *   sodp_read_resp    the responder started, restarted, paused or ended
 *                     the responses to a READ (and how many requests
 *                     wait behind it)
 *   sodp_odp_fault    an ODP fault finished (or was deferred, or failed)
 *   sodp_odp_inval    an invalidation cleared entries (and exclusivity)
 *   sodp_odp_excl     a page was made device-exclusive for an atomic
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM sodp

#if !defined(SODP_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define SODP_TRACE_H

#include <linux/tracepoint.h>

/* So that perf and trace-cmd can print the enums' names. */
TRACE_DEFINE_ENUM(SODP_RETRY_TIMEOUT);
TRACE_DEFINE_ENUM(SODP_RETRY_SEQ_NAK);
TRACE_DEFINE_ENUM(SODP_RETRY_IMPLIED_NAK);
TRACE_DEFINE_ENUM(SODP_READ_START);
TRACE_DEFINE_ENUM(SODP_READ_REPLAY);
TRACE_DEFINE_ENUM(SODP_READ_PAUSE);
TRACE_DEFINE_ENUM(SODP_READ_DONE);
TRACE_DEFINE_ENUM(SODP_READ_FAIL);

#define sodp_show_retry(r)						\
	__print_symbolic(r, { SODP_RETRY_TIMEOUT, "timeout" },		\
			 { SODP_RETRY_SEQ_NAK, "seq_nak" },		\
			 { SODP_RETRY_IMPLIED_NAK, "implied_nak" })

TRACE_EVENT(sodp_retry,
	TP_PROTO(u32 qpn, int reason, u32 head_psn, u32 acked_psn,
		 u8 retry_left),
	TP_ARGS(qpn, reason, head_psn, acked_psn, retry_left),
	TP_STRUCT__entry(
		__field(u32, qpn)
		__field(int, reason)
		__field(u32, head_psn)
		__field(u32, acked_psn)
		__field(u8, retry_left)
	),
	TP_fast_assign(
		__entry->qpn = qpn;
		__entry->reason = reason;
		__entry->head_psn = head_psn;
		__entry->acked_psn = acked_psn;
		__entry->retry_left = retry_left;
	),
	TP_printk("qpn=0x%x reason=%s head_psn=0x%x acked_psn=0x%x retry_left=%u",
		  __entry->qpn, sodp_show_retry(__entry->reason),
		  __entry->head_psn, __entry->acked_psn, __entry->retry_left)
);

TRACE_EVENT(sodp_rewind,
	TP_PROTO(u32 qpn, u32 wqes, u32 first_psn, u32 next_psn),
	TP_ARGS(qpn, wqes, first_psn, next_psn),
	TP_STRUCT__entry(
		__field(u32, qpn)
		__field(u32, wqes)
		__field(u32, first_psn)
		__field(u32, next_psn)
	),
	TP_fast_assign(
		__entry->qpn = qpn;
		__entry->wqes = wqes;
		__entry->first_psn = first_psn;
		__entry->next_psn = next_psn;
	),
	TP_printk("qpn=0x%x wqes=%u from_psn=0x%x to_psn=0x%x",
		  __entry->qpn, __entry->wqes, __entry->first_psn,
		  __entry->next_psn)
);

DECLARE_EVENT_CLASS(sodp_nak,
	TP_PROTO(u32 qpn, u32 psn, u8 syndrome),
	TP_ARGS(qpn, psn, syndrome),
	TP_STRUCT__entry(
		__field(u32, qpn)
		__field(u32, psn)
		__field(u8, syndrome)
	),
	TP_fast_assign(
		__entry->qpn = qpn;
		__entry->psn = psn;
		__entry->syndrome = syndrome;
	),
	/* syndrome: 0x2X RNR (X: timer), 0x60 seq, 0x61 invalid request,
	 * 0x62 remote access, 0x63 remote operational
	 */
	TP_printk("qpn=0x%x psn=0x%x syndrome=0x%02x", __entry->qpn,
		  __entry->psn, __entry->syndrome)
);

DEFINE_EVENT(sodp_nak, sodp_nak_sent,
	TP_PROTO(u32 qpn, u32 psn, u8 syndrome),
	TP_ARGS(qpn, psn, syndrome));

DEFINE_EVENT(sodp_nak, sodp_nak_recv,
	TP_PROTO(u32 qpn, u32 psn, u8 syndrome),
	TP_ARGS(qpn, psn, syndrome));

#define sodp_show_read_step(r)						\
	__print_symbolic(r, { SODP_READ_START, "start" },		\
			 { SODP_READ_REPLAY, "replay" },		\
			 { SODP_READ_PAUSE, "pause" },			\
			 { SODP_READ_DONE, "done" },			\
			 { SODP_READ_FAIL, "fail" })

TRACE_EVENT(sodp_read_resp,
	TP_PROTO(u32 qpn, int step, u32 psn, u32 left, u32 waiting),
	TP_ARGS(qpn, step, psn, left, waiting),
	TP_STRUCT__entry(
		__field(u32, qpn)
		__field(int, step)
		__field(u32, psn)
		__field(u32, left)
		__field(u32, waiting)
	),
	TP_fast_assign(
		__entry->qpn = qpn;
		__entry->step = step;
		__entry->psn = psn;
		__entry->left = left;
		__entry->waiting = waiting;
	),
	TP_printk("qpn=0x%x %s psn=0x%x left=%u requests_waiting=%u",
		  __entry->qpn, sodp_show_read_step(__entry->step),
		  __entry->psn, __entry->left, __entry->waiting)
);

TRACE_EVENT(sodp_odp_fault,
	TP_PROTO(unsigned long start, unsigned long addr, unsigned long len,
		 int need, int err),
	TP_ARGS(start, addr, len, need, err),
	TP_STRUCT__entry(
		__field(unsigned long, start)
		__field(unsigned long, addr)
		__field(unsigned long, len)
		__field(int, need)
		__field(int, err)
	),
	TP_fast_assign(
		__entry->start = start;
		__entry->addr = addr;
		__entry->len = len;
		__entry->need = need;
		__entry->err = err;
	),
	TP_printk("region=0x%lx addr=0x%lx len=%lu need=%d err=%d",
		  __entry->start, __entry->addr, __entry->len, __entry->need,
		  __entry->err)
);

TRACE_EVENT(sodp_odp_inval,
	TP_PROTO(unsigned long start, unsigned long end, int event,
		 unsigned long cleared, unsigned long excl),
	TP_ARGS(start, end, event, cleared, excl),
	TP_STRUCT__entry(
		__field(unsigned long, start)
		__field(unsigned long, end)
		__field(int, event)
		__field(unsigned long, cleared)
		__field(unsigned long, excl)
	),
	TP_fast_assign(
		__entry->start = start;
		__entry->end = end;
		__entry->event = event;
		__entry->cleared = cleared;
		__entry->excl = excl;
	),
	TP_printk("range=0x%lx-0x%lx event=%d cleared=%lu exclusive_revoked=%lu",
		  __entry->start, __entry->end, __entry->event,
		  __entry->cleared, __entry->excl)
);

TRACE_EVENT(sodp_odp_excl,
	TP_PROTO(unsigned long addr, int err),
	TP_ARGS(addr, err),
	TP_STRUCT__entry(
		__field(unsigned long, addr)
		__field(int, err)
	),
	TP_fast_assign(
		__entry->addr = addr;
		__entry->err = err;
	),
	TP_printk("addr=0x%lx err=%d", __entry->addr, __entry->err)
);

#endif /* SODP_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE sodp_trace
#include <trace/define_trace.h>
