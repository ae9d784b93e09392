// SPDX-License-Identifier: GPL-2.0
/*
 * vbuddy's tracepoints, defined once here; module/vbuddy_trace.h lists them
 * and every file that fires one includes it.
 */

#define CREATE_TRACE_POINTS
#include "vbuddy_trace.h"
