// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sodp: the responder's ODP faults, made aside in a work item of their
 * own so that the QP goes on answering its requester while one sleeps.
 *
 * A fault can sleep for as long as the process's memory takes: behind a
 * page being migrated or a memory block being offlined, for a page read
 * from a slow disk or a FUSE server.  hmm_range_fault() cannot be cut
 * short, and while the QP's work item slept in it no ACK and no RNR NAK
 * went out: the requester's ACK timer ran out, retry_cnt times, on a
 * request that would have been carried out (t-odp-pressure's
 * migration-data failed so, now and then).
 *
 * So the responder copies only pages the device's table has or the
 * process has present (sodp_mr_copy_now(), which maps the latter without
 * waiting for any page); where one needs a fault, the fault is queued on
 * sodp_odp_fault_wq and the work item waits for it only until the
 * requester's patience runs out (the @until of sodp_resp_mr_copy(), see
 * sodp_resp_patience()), and at least SODP_RESP_FAULT_MIN_WAIT_MS.  Most
 * faults take far less, and the copy then goes on as if the fault had
 * been made in line.  A fault still sleeping by then is left to finish:
 * the request is answered with an RNR NAK, as a hardware ODP device
 * answers a page fault, the requester sends it again after its RNR timer,
 * and by then the page is usually there.  Nothing but the fault runs
 * aside: the copy is always the QP's own, so a fault that ends late
 * changes no memory the requester or the consumer see.
 *
 * One fault per QP at a time, in qp->resp.fault.  Only the QP's work
 * item starts one or takes its result; the fault's work item touches
 * nothing else of the QP, holds a reference on its MR and drops it when
 * done.  A fault is never abandoned: the next one, for whatever bytes,
 * waits for it, and so does destroying the QP (sodp_resp_fault_stop())
 * and deregistering the MR.  A fault that never ends (a hung network
 * file system) so leaves the QP answering RNR NAKs, where a fault in line
 * left it answering nothing.
 *
 * Atomics still fault in line (sodp_mr_atomic()): their fault and the
 * page's conversion to a device-exclusive entry are one step under
 * mmap_lock (sodp_odp.c).
 *
 * Locks: none of its own; the MR access layer's (sodp_odp.c): in the
 * fault's work item, and in the QP's for a peek, which takes mmap_lock
 * only by trylock (sodp_odp_copy_now()).
 */
#include "sodp.h"

struct workqueue_struct *sodp_odp_fault_wq;

/*
 * Bytes of a message one fault brings in at most, if they are needed:
 * each trip to the fault's work item costs two context switches.
 */
#define SODP_RESP_FAULT_AHEAD		SZ_128K
/* However late, a fault is waited for this long: it may be nearly done. */
#define SODP_RESP_FAULT_MIN_WAIT_MS	2

static void sodp_resp_fault_work(struct work_struct *work)
{
	struct sodp_resp_fault *f = container_of(work, struct sodp_resp_fault,
						 work);

	f->err = sodp_mr_fault(f->mr, f->iova, f->len, f->ahead, f->need);
	sodp_mr_put(f->mr);
	f->mr = NULL;
	complete(&f->done);
}

void sodp_resp_fault_init(struct sodp_qp *qp)
{
	struct sodp_resp_fault *f = &qp->resp.fault;

	INIT_WORK(&f->work, sodp_resp_fault_work);
	init_completion(&f->done);
	f->busy = false;
}

/*
 * Wait for the fault in flight until @until, and at least
 * SODP_RESP_FAULT_MIN_WAIT_MS.  Return: true once it is over (its result
 * in f->err), false if it is still running.
 */
static bool sodp_resp_fault_wait(struct sodp_qp *qp, unsigned long until)
{
	struct sodp_resp_fault *f = &qp->resp.fault;
	long left = max_t(long, (long)(until - jiffies),
			  msecs_to_jiffies(SODP_RESP_FAULT_MIN_WAIT_MS));

	if (!wait_for_completion_timeout(&f->done, left)) {
		sodp_count(qp->sdev, SODP_CNT_ODP_SLOW_FAULTS);
		return false;
	}
	f->busy = false;
	return true;
}

/*
 * Fault in [@iova, @iova + @len) of @mr, and @ahead bytes after it, aside,
 * and wait for it as sodp_resp_fault_wait() does.  A fault still running
 * for an earlier request is waited for first: its pages are likely the
 * same (the request it was for has come again).  Return: 0, -EAGAIN if it
 * is still running, or the fault's error.
 */
static int sodp_resp_fault(struct sodp_qp *qp, struct sodp_mr *mr, u64 iova,
			   u32 len, u32 ahead, enum sodp_mr_dir dir,
			   unsigned long until)
{
	struct sodp_resp_fault *f = &qp->resp.fault;

	/* Whatever it found was for other bytes, or for these before. */
	if (f->busy && !sodp_resp_fault_wait(qp, until))
		return -EAGAIN;
	sodp_mr_hold(mr);
	f->mr = mr;
	f->iova = iova;
	f->len = len;
	f->ahead = ahead;
	f->need = dir == SODP_TO_MR ? SODP_ODP_WRITE : SODP_ODP_READ;
	f->busy = true;
	reinit_completion(&f->done);
	queue_work(sodp_odp_fault_wq, &f->work);
	if (!sodp_resp_fault_wait(qp, until))
		return -EAGAIN;
	return f->err;
}

/**
 * sodp_resp_mr_copy() - the responder's copy between an MR and a buffer
 * @qp: the QP whose responder is carrying out a request
 * @mr: a referenced MR, checked for the access
 * @iova: first byte in the MR
 * @buf: the packet's bytes, or room for them
 * @len: bytes
 * @msg_left: bytes of the message from @iova on (at least @len), which
 *	its later packets will need too
 * @dir: SODP_TO_MR or SODP_FROM_MR
 * @until: jiffies after which a fault is not waited for any more
 *
 * As sodp_mr_copy(), with faults made aside (see the top of the file).
 * A fault also brings in up to SODP_RESP_FAULT_AHEAD bytes of the rest of
 * the message: a trip aside per burst made first-touch WRITEs 35% slower
 * than faults in line.  A page that an invalidation takes back between
 * the fault and the copy is looked for again, until @until.
 *
 * Context: the QP's work item.
 * Return: 0, -EAGAIN if a page cannot be had by @until (an RNR NAK), or
 * the error of the copy or of the fault.
 */
int sodp_resp_mr_copy(struct sodp_qp *qp, struct sodp_mr *mr, u64 iova,
		      void *buf, u32 len, u32 msg_left, enum sodp_mr_dir dir,
		      unsigned long until)
{
	bool faulted = false;
	u32 done;
	int err;

	for (;;) {
		err = sodp_mr_copy_now(mr, iova, buf, len, dir, &done);
		if (err != -ENODATA)
			return err;
		/* The fault and the next copy start at the missing page. */
		iova += done;
		buf += done;
		len -= done;
		msg_left -= done;
		if (done)
			faulted = false;
		/* Taken back since its fault, and no time for another. */
		if (faulted && time_after(jiffies, until))
			return -EAGAIN;
		err = sodp_resp_fault(qp, mr, iova, len,
				      min_t(u32, msg_left - len,
					    SODP_RESP_FAULT_AHEAD),
				      dir, until);
		if (err)
			return err;
		faulted = true;
	}
}

/**
 * sodp_resp_fault_stop() - wait for the QP's fault in flight, if any
 * @qp: the QP, its work item disabled
 *
 * Context: process context (destroy_qp); may sleep as long as the fault.
 */
void sodp_resp_fault_stop(struct sodp_qp *qp)
{
	struct sodp_resp_fault *f = &qp->resp.fault;

	if (!f->busy)
		return;
	wait_for_completion(&f->done);
	f->busy = false;
}
