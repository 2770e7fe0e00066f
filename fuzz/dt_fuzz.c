// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for xshm-info's device-tree checker (tools/dt-check.c):
 * the input is a .dtb given on the command line or read from
 * /sys/firmware/fdt, i.e. anything.  Seeded with the trees Xen generated
 * and the test trees, so that mutations stay mostly valid blobs and reach
 * the node checks behind fdt_check_full().
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dt-check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned int phys_bits[] = { 48, 52, 64 };
	struct dt_report rep;
	unsigned int i, k;
	void *blob;

	/* a private, exactly sized copy: ASan sees any read past the end */
	blob = malloc(size ? size : 1);
	if (!blob)
		return 0;
	memcpy(blob, data, size);
	k = size ? data[size - 1] % 3 : 0;
	if (dt_check(blob, size, k == 2 ? 65536 : 4096, phys_bits[k],
		     &rep) == 0) {
		/* every string the report holds is terminated */
		for (i = 0; i < rep.nregions; i++) {
			if (!memchr(rep.regions[i].path, 0,
				    sizeof(rep.regions[i].path)) ||
			    !memchr(rep.regions[i].id, 0,
				    sizeof(rep.regions[i].id)))
				abort();
			if (rep.regions[i].nproblems > DT_PROBLEMS_MAX)
				abort();
		}
	}
	if (rep.nglobal > DT_PROBLEMS_MAX)
		abort();
	dt_report_free(&rep);
	free(blob);
	return 0;
}
