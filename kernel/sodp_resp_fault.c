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
 * So the responder copies only pages already in the device's table
 * (sodp_mr_copy_now()); where one needs a fault, the fault is queued on
 * sodp_fault_wq and the work item waits for it only until the requester's
 * patience runs out (the @until of sodp_resp_mr_copy(), see
 * sodp_resp_patience()).  Most faults take far less, and the copy then
 * goes on as if the fault had been made in line.  A fault still sleeping
 * by then is left to finish: the request is answered with an RNR NAK, as
 * a hardware ODP device answers a page fault, the requester sends it again
 * after its RNR timer, and by then the page is usually there.  Nothing
 * but the fault runs aside: the copy is always the QP's own, so a fault
 * that ends late changes no memory the requester or the consumer see.
 *
 * One fault per QP at a time, in qp->resp.fault.  Only the QP's work
 * item starts one or takes its result; the fault's work item touches
 * nothing else of the QP, holds a reference on its MR and drops it when
 * done.  Destroying the QP waits for it (sodp_resp_fault_stop()).
 *
 * Locks: none of its own; the MR access layer's (sodp_odp.c) in the
 * fault's work item.
 */
#include "sodp.h"

struct workqueue_struct *sodp_fault_wq;

/* Bytes of a message one fault brings in at most, if they are needed. */
#define SODP_RESP_FAULT_AHEAD	SZ_128K

static void sodp_resp_fault_work(struct work_struct *work)
{
	struct sodp_resp_fault *f = container_of(work, struct sodp_resp_fault,
						 work);

	f->err = sodp_mr_fault(f->mr, f->iova, f->len, f->need);
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
 * Wait for the fault in flight until @until (at least a tick: a fault
 * that is nearly done is worth more than an RNR NAK).  Return: its
 * result, or -EAGAIN if it is still running.
 */
static int sodp_resp_fault_wait(struct sodp_qp *qp, unsigned long until)
{
	struct sodp_resp_fault *f = &qp->resp.fault;
	long left = max_t(long, (long)(until - jiffies), 1);

	if (!wait_for_completion_timeout(&f->done, left)) {
		sodp_count(qp->sdev, SODP_CNT_ODP_SLOW_FAULTS);
		return -EAGAIN;
	}
	f->busy = false;
	return f->err;
}

/*
 * Fault in what a copy of [@iova, @iova + @len) of @mr needs, aside, and
 * wait for it as sodp_resp_fault_wait() does.  A fault still running for
 * an earlier request is waited for first: its pages are likely the same
 * (the request it was for has come again).
 */
static int sodp_resp_fault(struct sodp_qp *qp, struct sodp_mr *mr, u64 iova,
			   u32 len, enum sodp_mr_dir dir, unsigned long until)
{
	struct sodp_resp_fault *f = &qp->resp.fault;
	int err;

	if (f->busy) {
		err = sodp_resp_fault_wait(qp, until);
		if (err == -EAGAIN)
			return err;
		/* Its result was for other bytes: ask again for these. */
	}
	sodp_mr_hold(mr);
	f->mr = mr;
	f->iova = iova;
	f->len = len;
	f->need = dir == SODP_TO_MR ? SODP_ODP_WRITE : SODP_ODP_READ;
	f->busy = true;
	reinit_completion(&f->done);
	queue_work(sodp_fault_wq, &f->work);
	return sodp_resp_fault_wait(qp, until);
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
 * Each trip to the fault's work item costs two context switches, so a
 * missing page is first looked for in the process's page table here (a
 * walk that faults nothing and does not wait for mmap_lock), and a fault
 * covers up to SODP_RESP_FAULT_AHEAD bytes of the message, not only the
 * packet's: first-touch WRITEs, a burst at a time, ran at 0.6 of the rate
 * of faults made in line, THP at 0.65.
 * A page that an invalidation takes back between the fault and the copy
 * is faulted again, until @until.
 *
 * Context: the QP's work item.
 * Return: 0, -EAGAIN if a page cannot be had by @until (an RNR NAK), or
 * the error of the copy or of the fault.
 */
int sodp_resp_mr_copy(struct sodp_qp *qp, struct sodp_mr *mr, u64 iova,
		      void *buf, u32 len, u32 msg_left, enum sodp_mr_dir dir,
		      unsigned long until)
{
	bool faulted = false, peeked = false;
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
		if (done) {
			faulted = false;
			peeked = false;
		}
		/* Taken back since its fault, and no time for another. */
		if (faulted && time_after(jiffies, until))
			return -EAGAIN;
		/*
		 * Pages the process has already (a THP's, ones it wrote) only
		 * need mapping: a walk here costs less than a trip aside.
		 */
		if (!peeked) {
			peeked = true;
			if (!sodp_mr_fault(mr, iova, len, SODP_ODP_PEEK))
				continue;
		}
		err = sodp_resp_fault(qp, mr, iova,
				      max(len, min_t(u32, msg_left,
						     SODP_RESP_FAULT_AHEAD)),
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
