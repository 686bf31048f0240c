// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* sodp: the trace events' definitions (sodp_trace.h). */
#include "sodp.h"

#define CREATE_TRACE_POINTS
#include "sodp_trace.h"
