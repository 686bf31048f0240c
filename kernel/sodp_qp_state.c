// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sodp: what every part of a QP's data path may do to the QP: find it by
 * number, kick it (have its pass run, sodp_run.c), move it to the error
 * state, raise an asynchronous event and complete a receive.
 *
 * The verbs and the state machine (sodp_qp.c) sit above the runs
 * (sodp_run.c) and the pass (sodp_work.c), which runs the requester,
 * responder and completer; all of them, and the rx handler (sodp_net.c),
 * call down into this file and nothing here calls back up, so the data
 * path has no call cycle.  A kick only sets bits, queues the work item or
 * leaves the QP for the sender's run (qp->run_next); sodp_run.c takes it
 * from there.
 *
 * Locking: sodp_qp_get() takes sdev->qps' xa_lock (irqsave: it is called
 * from the rx softirq) and nothing inside it; sodp_rq_complete() takes
 * cq->lock (sodp_cq.c); the kicks take none.  The rest runs in the QP's
 * pass or with its runs stopped (see sodp_qp.c).
 */
#include "sodp.h"

struct workqueue_struct *sodp_wq;

struct sodp_qp *sodp_qp_get(struct sodp_dev *sdev, u32 qpn)
{
	struct sodp_qp *qp;
	unsigned long flags;

	xa_lock_irqsave(&sdev->qps, flags);
	qp = xa_load(&sdev->qps, qpn);
	if (qp && !refcount_inc_not_zero(&qp->ref))
		qp = NULL;
	xa_unlock_irqrestore(&sdev->qps, flags);
	return qp;
}

void sodp_qp_put(struct sodp_qp *qp)
{
	if (refcount_dec_and_test(&qp->ref))
		complete(&qp->released);
}

/* A kick whose work item, if woken, goes to @cpu's pod (or the caller's). */
static void sodp_qp_kick_on(struct sodp_qp *qp, int cpu)
{
	set_bit(SODP_RUN_AGAIN, &qp->run);
	/* Pairs with sodp_run_release(): it sees AGAIN or we see it let go. */
	smp_mb__after_atomic();
	if (!test_bit(SODP_RUN_ACTIVE, &qp->run))
		queue_work_on(cpu, sodp_wq, &qp->work);
}

/**
 * sodp_qp_kick() - have @qp's pass run soon
 * @qp: the QP
 *
 * Context: any.
 */
void sodp_qp_kick(struct sodp_qp *qp)
{
	sodp_qp_kick_on(qp, WORK_CPU_UNBOUND);
}

/**
 * sodp_qp_kick_posted() - sodp_qp_kick() for a consumer that has just posted
 * @qp: the QP
 *
 * The sodp workqueue is unbound, and queue_work() wakes a kworker in the
 * workqueue pod of the CPU it is called on.  A poster usually goes on to
 * poll its CQ, often busily.  Where a pod is a single CPU (a machine whose
 * CPUs are nodes of their own, as in the project's two-vCPU guest), the
 * run would share that CPU with the poller while the others idle, and
 * posting, sending and completing take turns instead of overlapping.
 *
 * Unless the QP is in a ping-pong: if its peer's requests came in since the
 * last doorbell, the peer is likely waiting for this post's message, busy
 * polling on another CPU, and a run woken there would preempt the very
 * process that waits for it (on the poster's CPU it preempts only a poller
 * that waits for its own completion).  So the run is woken in the pod of
 * the next CPU only when nothing came in from the peer since the last
 * doorbell.  Where pods span a cache, the next CPU's pod is mostly the
 * poster's own, and the scheduler picks an idle CPU in it by itself.
 *
 * Context: any; called from a user QP's doorbell (sodp_post_send()).
 */
void sodp_qp_kick_posted(struct sodp_qp *qp)
{
	/* The pass moves epsn; a stale value only picks another CPU. */
	u32 epsn = data_race(qp->resp.epsn);
	unsigned int cpu;

	if (epsn != READ_ONCE(qp->posted_epsn)) {
		WRITE_ONCE(qp->posted_epsn, epsn);
		sodp_qp_kick(qp);
		return;
	}
	/* A hint only: the poster may move, and so may the kworker. */
	cpu = cpumask_next(raw_smp_processor_id(), cpu_online_mask);
	if (cpu >= nr_cpu_ids)
		cpu = cpumask_first(cpu_online_mask);
	sodp_qp_kick_on(qp, cpu);
}

/**
 * sodp_qp_kick_after() - have @qp's pass run after @from's
 * @from: the QP whose pass is running and queued a packet on @qp
 * @qp: a QP of the same device, referenced by the caller
 *
 * Context: @from's pass; any locks, bottom halves may be disabled.
 */
void sodp_qp_kick_after(struct sodp_qp *from, struct sodp_qp *qp)
{
	if (from->run_next == qp)
		return;
	if (from == qp || from->run_next) {
		sodp_qp_kick(qp);
		return;
	}
	refcount_inc(&qp->ref);
	from->run_next = qp;
}

/*
 * Tell the provider whether the QP is in error (see SODP_RING_F_QP_ERR).
 * The barrier pairs with the provider's between publishing a receive and
 * reading the flag: either it sees the flag, or our flush sees its receive.
 */
void sodp_qp_publish_state(struct sodp_qp *qp)
{
	if (qp->srq)
		return;		/* no RQ ring: the SRQ has no QP state */
	WRITE_ONCE(qp->rq.hdr->flags,
		   qp->state == IB_QPS_ERR ? SODP_RING_F_QP_ERR : 0);
	/* Flag before the flush reads prod: pairs with the provider. */
	smp_mb();
}

/**
 * sodp_qp_error() - move the QP to the error state
 * @qp: the QP; called from its work item
 *
 * Outstanding work is flushed by the work item's next pass.
 */
void sodp_qp_error(struct sodp_qp *qp)
{
	if (qp->state == IB_QPS_ERR)
		return;
	sodp_dbg_qp(qp, "to the error state from %pS\n",
		    __builtin_return_address(0));
	WRITE_ONCE(qp->state, IB_QPS_ERR);
	sodp_qp_publish_state(qp);
	timer_delete(&qp->retry_timer);
	timer_delete(&qp->rnr_timer);
	timer_delete(&qp->read_timer);
	sodp_qp_kick(qp);
}

/**
 * sodp_qp_sq_error() - move a UD QP to the Send Queue Error state
 * @qp: the QP, in RTS; called from its work item after a send WQE failed
 *
 * Only the send side stops: datagrams are still received, and WQEs posted
 * from now on complete flushed until the consumer moves the QP back to
 * RTS (IBTA 10.3.1, SQEr).
 */
void sodp_qp_sq_error(struct sodp_qp *qp)
{
	if (qp->state != IB_QPS_RTS)
		return;
	sodp_dbg_qp(qp, "to the SQ error state\n");
	WRITE_ONCE(qp->state, IB_QPS_SQE);
	sodp_qp_kick(qp);
}

/* Raise an asynchronous QP event (fatal errors seen by the responder). */
void sodp_qp_event(struct sodp_qp *qp, enum ib_event_type type)
{
	struct ib_event ev = {
		.device = qp->ibqp.device,
		.element.qp = &qp->ibqp,
		.event = type,
	};

	if (qp->ibqp.event_handler)
		qp->ibqp.event_handler(&ev, qp->ibqp.qp_context);
}

/*
 * Complete the receive WQE at the head of the RQ (or the one taken from
 * the SRQ).  Return: 0, or
 * -EOVERFLOW if the CQ overflowed (the QP is then in error).
 */
int sodp_rq_complete(struct sodp_qp *qp, struct sodp_cqe *cqe, bool solicited)
{
	int err;

	cqe->qp_num = qp->ibqp.qp_num;
	/* A datagram's source is in its DETH: the caller filled it in. */
	if (sodp_qp_connected(qp))
		cqe->src_qp = qp->dest_qpn;
	/* An SRQ's slot was freed when the WQE was taken. */
	if (!qp->srq) {
		qp->rq_cons++;
		/* Free the slot first: the poller may repost it on the CQE. */
		smp_store_release(&qp->rq.hdr->cons, qp->rq_cons);
	}
	err = sodp_cq_post(qp->rcq, cqe, solicited);
	if (err)
		sodp_qp_error(qp);
	return err;
}
