// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sodp: who runs a QP's pass (sodp_qp_pass(), sodp_work.c).
 *
 * A pass must never run twice at once: requester, responder and completer
 * share the QP's state without locks.  Two kinds of run take passes:
 *  - the QP's own work item, qp->work, kicked by the rx handler, timers,
 *    doorbells and verbs (sodp_qp_kick());
 *  - the run of another QP of this device that has just queued packets on
 *    this one (sodp_qp_kick_after(), sodp_qp_state.c).  A packet between
 *    two QPs of one device is handed over in memory, and waking the
 *    receiver's work item for it cost as much as the pass it woke: an
 *    RDMA atomic looped back was a request and a response, each a wake-up
 *    of another kworker (queue_work_on() and the context switches were a
 *    tenth of the CPU time of ib_atomic_bw, and a fifth of it was idle
 *    waiting for them).
 *    So the sender's run takes the receiver's pass right after its own,
 *    in the same kworker, and the responses that pass queues back bring
 *    the run back to the sender.
 * Whoever runs a pass holds SODP_RUN_ACTIVE.  A kick (sodp_qp_kick(),
 * sodp_qp_state.c) or a run that finds it held sets SODP_RUN_AGAIN
 * instead, and the holder takes another pass after letting go, so that
 * nothing queued is left behind and a doorbell rung while the QP's pass
 * runs wakes no kworker.  After a pass that queued packets on another QP
 * of the device, the run lets go of its QP and takes the receiver's pass
 * (a hop); if its own QP has more to do, its work item is kicked and does
 * it meanwhile, so that a stream of bursts keeps the copy into the burst
 * and the copy out of it on two CPUs.  A run takes at most
 * SODP_RUN_PASSES passes and hops, then leaves the rest to the work
 * items, so that two QPs streaming at each other do not hold one kworker
 * for good.
 *
 * Modify and destroy stop every run of the QP (sodp_qp_run_stop():
 * SODP_RUN_OFF, the work item disabled, and a wait for the holder of
 * SODP_RUN_ACTIVE) and start them again (sodp_qp_run_start()).  A run
 * that hopped to the QP holds a reference to it (qp->run_next), so
 * destroy_qp's wait for the last reference waits for it too.
 *
 * Locks: none.  The bits are taken with fully ordered atomics, so that a
 * pass sees everything queued before the run that took it was claimed,
 * and a run that lets go sees SODP_RUN_AGAIN set by any run that found
 * it busy.  Nothing here waits except sodp_qp_run_stop(), which is
 * called with qp->mutex held and no lock a pass takes.
 */
#include <linux/wait_bit.h>

#include "sodp.h"

#define SODP_RUN_PASSES		16

static void sodp_run_release(struct sodp_qp *qp)
{
	clear_bit_unlock(SODP_RUN_ACTIVE, &qp->run);
	/*
	 * Pairs with sodp_qp_run_stop(): it sees ACTIVE clear or we see OFF;
	 * and with sodp_qp_kick(): it sees ACTIVE clear or we (our caller)
	 * see AGAIN.
	 */
	smp_mb__after_atomic();
	if (test_bit(SODP_RUN_OFF, &qp->run))
		wake_up_var(&qp->run);
}

/* Return: true if the caller now holds the QP's run. */
static bool sodp_run_claim(struct sodp_qp *qp)
{
	set_bit(SODP_RUN_AGAIN, &qp->run);
	if (test_and_set_bit(SODP_RUN_ACTIVE, &qp->run))
		return false;	/* the holder will see AGAIN */
	if (!test_bit(SODP_RUN_OFF, &qp->run))
		return true;
	sodp_run_release(qp);
	return false;		/* sodp_qp_run_start() kicks it */
}

/*
 * Run @qp's passes, and hop to the QPs they queued packets on.  @qp needs
 * no reference (its work item is running); a QP hopped to is referenced
 * by its run_next slot, and the reference is ours until we leave it.
 */
static void sodp_run(struct sodp_qp *qp)
{
	int passes = SODP_RUN_PASSES;
	struct sodp_qp *held = NULL;
	struct sodp_qp *next;

	while (sodp_run_claim(qp)) {
		clear_bit(SODP_RUN_AGAIN, &qp->run);
		/* The clear before the pass looks at its queues. */
		smp_mb__after_atomic();
		sodp_qp_pass(qp);
		next = qp->run_next;
		qp->run_next = NULL;
		sodp_run_release(qp);
		/* Many passes in one work item: give the CPU up meanwhile. */
		cond_resched();

		if (!next && --passes > 0) {
			if (!test_bit(SODP_RUN_AGAIN, &qp->run))
				break;
			continue;
		}
		/* Left to its work item: more to do, and we go elsewhere. */
		if (test_bit(SODP_RUN_AGAIN, &qp->run))
			sodp_qp_kick(qp);
		if (!next)
			break;
		if (--passes <= 0) {
			sodp_qp_kick(next);
			sodp_qp_put(next);
			break;
		}
		if (held)
			sodp_qp_put(held);
		held = next;
		qp = next;
	}
	if (held)
		sodp_qp_put(held);
}

void sodp_qp_work(struct work_struct *work)
{
	sodp_run(container_of(work, struct sodp_qp, work));
}

/**
 * sodp_qp_run_stop() - wait until no pass of @qp runs, and keep it so
 * @qp: the QP, its mutex held
 *
 * Kicks meanwhile are lost; sodp_qp_run_start() kicks once more.
 */
void sodp_qp_run_stop(struct sodp_qp *qp)
{
	set_bit(SODP_RUN_OFF, &qp->run);
	/* Pairs with sodp_run_release(). */
	smp_mb__after_atomic();
	disable_work_sync(&qp->work);
	wait_var_event(&qp->run, !test_bit(SODP_RUN_ACTIVE, &qp->run));
}

void sodp_qp_run_start(struct sodp_qp *qp)
{
	clear_bit(SODP_RUN_OFF, &qp->run);
	enable_work(&qp->work);
	sodp_qp_kick(qp);
}
