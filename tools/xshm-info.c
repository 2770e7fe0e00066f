// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xshm-info: list the shared memory regions, their channels, and explain
 * the xen,shared-memory-v1 nodes of a device tree.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chan-report.h"
#include "cli.h"
#include "dt-check.h"
#include "json.h"
#include "region-error.h"
#include "sysfs-regions.h"
#include "util.h"
#include "xshm.h"

#define LIVE_FDT	"/sys/firmware/fdt"
#define REGIONS_MAX	64	/* --region options; Xen gives at most 32 */

struct opts {
	bool json, channels;
	const char **regions;
	int nregions;
	const char *dtb;
	const char *sysfs;
	uint64_t page_size;
	unsigned int phys_bits;
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: xshm-info [OPTIONS]\n"
"List Xen static shared memory regions and the channels in them.\n"
"\n"
"  -r, --region SPEC   show this region instead of the driver's list: a plain\n"
"                      file, /dev/xshmN, N or a xen,id (repeatable)\n"
"  -d, --dtb FILE      explain the xen,shared-memory-v1 nodes of a .dtb file\n"
"  -D, --dt            the same for the running kernel's tree (" LIVE_FDT ")\n"
"  -p, --page-size N   alignment a region needs (default 4096)\n"
"  -b, --phys-bits N   physical address bits regions must fit (default 48)\n"
"      --no-channels   do not open regions to list their channels\n"
"      --sysfs DIR     read the driver's regions from DIR (default " SYSFS_XSHM_DEFAULT ")\n"
"  -j, --json          JSON output\n"
CLI_HELP
"Here 3 is also: a value's writer stalled; 5 a corrupt layout, a ring stuck\n"
"on corrupt data, or a malformed tree node.\n");
}

static void fmt_size(char *buf, size_t len, uint64_t v)
{
	if (v && !(v % (1ull << 30)))
		snprintf(buf, len, "%" PRIu64 " GiB", v >> 30);
	else if (v && !(v % (1ull << 20)))
		snprintf(buf, len, "%" PRIu64 " MiB", v >> 20);
	else if (v && !(v % (1ull << 10)))
		snprintf(buf, len, "%" PRIu64 " KiB", v >> 10);
	else
		snprintf(buf, len, "%" PRIu64 " B", v);
}

/*
 * Ring counters need the library's consumer view, which wants a writable
 * mapping (nothing is written); without write permission fall back to
 * read-only and show the layout alone.
 */
static int open_for_stats(unsigned int index, const char *spec,
			  struct xshm_region **r)
{
	int err;

	for (unsigned int flags = 0;; flags = XSHM_OPEN_RDONLY) {
		err = spec ? xshm_region_open(spec, flags, 0, r) :
			     xshm_region_open_index(index, flags, r);
		if (flags || (err != -EACCES && err != -EPERM && err != -EROFS))
			return err;
	}
}

/* channels of an open region; returns 0 or the problem's exit code */
static int show_layout(struct xshm_region *r, const struct opts *o,
		       struct json *j)
{
	if (!o->channels)
		return 0;
	return report_region(r, NULL, stdout, o->json ? j : NULL);
}

static int show_sysfs(const struct opts *o, struct json *j)
{
	struct sysfs_region *list;
	int n, rc = 0;

	n = sysfs_regions(o->sysfs, &list);
	if (n < 0) {
		if (n == -ENOENT)
			msg("%s does not exist: is the xshm driver loaded?",
			    o->sysfs);
		else
			msg("%s: %s", o->sysfs, strerror(-n));
		return EXIT_RUNTIME;
	}
	if (o->json)
		json_arr_begin(j, "regions");
	else if (n == 0)
		printf("no regions bound by the xshm driver\n");
	for (int i = 0; i < n; i++) {
		const struct sysfs_region *s = &list[i];
		struct xshm_region *r = NULL;
		char size[32];
		int err = 0;

		if (o->channels)
			err = open_for_stats(s->index, NULL, &r);
		fmt_size(size, sizeof(size), s->size);
		if (o->json) {
			json_obj_begin(j, NULL);
			json_u64(j, "index", s->index);
			json_str(j, "name", s->name);
			json_u64(j, "size", s->size);
			json_u64_str(j, "phys_addr", s->phys_addr);
			json_u64_str(j, "offset", s->offset);
		} else {
			printf("xshm%u: id \"%s\" size %s (0x%" PRIx64 ") base 0x%" PRIx64
			       " offset 0x%" PRIx64 "\n", s->index, s->name, size,
			       s->size, s->phys_addr, s->offset);
		}
		if (err) {
			char spec[16], why[REGION_WHY_MAX];

			snprintf(spec, sizeof(spec), "%u", s->index);
			rc = exit_worst(rc, region_open_why(spec, err, why, sizeof(why)));
			if (o->json)
				json_str(j, "error", why);
			msg("%s", why);
		} else if (r) {
			rc = exit_worst(rc, show_layout(r, o, j));
			xshm_region_close(r);
		}
		if (o->json)
			json_obj_end(j);
	}
	if (o->json)
		json_arr_end(j);
	free(list);
	return rc;
}

static int show_files(const struct opts *o, struct json *j)
{
	int rc = 0;

	if (o->json)
		json_arr_begin(j, "regions");
	for (int i = 0; i < o->nregions; i++) {
		struct xshm_region *r;
		int err;

		err = open_for_stats(0, o->regions[i], &r);
		if (err) {
			char why[REGION_WHY_MAX];

			rc = exit_worst(rc, region_open_why(o->regions[i], err,
							    why, sizeof(why)));
			msg("%s", why);
			if (o->json) {
				json_obj_begin(j, NULL);
				json_str(j, "spec", o->regions[i]);
				json_str(j, "error", why);
				json_obj_end(j);
			}
			continue;
		}
		if (o->json) {
			json_obj_begin(j, NULL);
			json_str(j, "spec", o->regions[i]);
			json_str(j, "name", xshm_region_name(r));
			json_u64(j, "size", xshm_region_size(r));
		} else {
			char size[32];

			fmt_size(size, sizeof(size), xshm_region_size(r));
			printf("%s: size %s (0x%zx)\n", xshm_region_name(r), size,
			       xshm_region_size(r));
		}
		rc = exit_worst(rc, show_layout(r, o, j));
		if (o->json)
			json_obj_end(j);
		xshm_region_close(r);
	}
	if (o->json)
		json_arr_end(j);
	return rc;
}

static void json_problems(struct json *j, const struct dt_problem *p,
			  unsigned int n)
{
	json_arr_begin(j, "problems");
	for (unsigned int i = 0; i < n; i++) {
		json_obj_begin(j, NULL);
		json_str(j, "severity", dt_severity_name(p[i].sev));
		json_str(j, "message", p[i].text);
		json_obj_end(j);
	}
	json_arr_end(j);
}

static void text_tree(const char *src, const struct dt_report *rep)
{
	printf("device tree %s: %u xen,shared-memory-v1 node%s, %u error%s, %u warning%s\n",
	       src, rep->nregions, rep->nregions == 1 ? "" : "s",
	       rep->nerrors, rep->nerrors == 1 ? "" : "s",
	       rep->nwarnings, rep->nwarnings == 1 ? "" : "s");
	for (unsigned int i = 0; i < rep->nglobal; i++)
		printf("  %s: %s\n", dt_severity_name(rep->global[i].sev),
		       rep->global[i].text);
	for (unsigned int i = 0; i < rep->nregions; i++) {
		const struct dt_region *r = &rep->regions[i];
		bool bad = false;

		for (unsigned int k = 0; k < r->nproblems; k++)
			bad |= r->problems[k].sev == DT_ERROR;
		printf("%s: %s\n", r->path,
		       r->disabled ? "disabled" : bad ? "REJECTED" : "ok");
		if (r->has_reg) {
			char size[32];

			fmt_size(size, sizeof(size), r->size);
			printf("  base 0x%" PRIx64 " size %s (0x%" PRIx64 ")",
			       r->base, size, r->size);
		} else {
			printf("  no usable reg");
		}
		printf(", id %s%s%s", r->has_id ? "\"" : "",
		       r->has_id ? r->id : "(none)", r->has_id ? "\"" : "");
		if (r->has_offset)
			printf(", xen,offset 0x%" PRIx64, r->offset);
		if (r->no_map)
			printf(", no-map");
		printf("\n");
		for (unsigned int k = 0; k < r->nproblems; k++)
			printf("  %s: %s\n", dt_severity_name(r->problems[k].sev),
			       r->problems[k].text);
	}
}

static void json_tree(struct json *j, const char *src,
		      const struct dt_report *rep)
{
	json_obj_begin(j, "tree");
	json_str(j, "source", src);
	json_u64(j, "errors", rep->nerrors);
	json_u64(j, "warnings", rep->nwarnings);
	json_problems(j, rep->global, rep->nglobal);
	json_arr_begin(j, "nodes");
	for (unsigned int i = 0; i < rep->nregions; i++) {
		const struct dt_region *r = &rep->regions[i];
		bool bad = false;

		for (unsigned int k = 0; k < r->nproblems; k++)
			bad |= r->problems[k].sev == DT_ERROR;
		json_obj_begin(j, NULL);
		json_str(j, "path", r->path);
		json_bool(j, "ok", !bad && !r->disabled);
		json_bool(j, "disabled", r->disabled);
		if (r->has_reg) {
			json_u64_str(j, "base", r->base);
			json_u64_str(j, "size", r->size);
		}
		if (r->has_id)
			json_str(j, "id", r->id);
		if (r->has_offset)
			json_u64_str(j, "offset", r->offset);
		json_bool(j, "no_map", r->no_map);
		json_problems(j, r->problems, r->nproblems);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);
}

static int show_tree(const struct opts *o, struct json *j)
{
	struct dt_report rep;
	size_t size;
	void *blob;
	int err;

	err = dt_load(o->dtb, &blob, &size);
	if (err) {
		msg("%s: %s", o->dtb, strerror(-err));
		return EXIT_RUNTIME;
	}
	err = dt_check(blob, size, o->page_size, o->phys_bits, &rep);
	free(blob);
	if (err == -ENOMEM) {
		msg("out of memory");
		return EXIT_RUNTIME;
	}
	if (o->json)
		json_tree(j, o->dtb, &rep);
	else
		text_tree(o->dtb, &rep);
	dt_report_free(&rep);
	if (err) {
		msg("%s: %s", o->dtb, rep.global[0].text);
		return EXIT_RUNTIME;
	}
	return rep.nerrors ? EXIT_CORRUPT : 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "region", required_argument, NULL, 'r' },
		{ "dtb", required_argument, NULL, 'd' },
		{ "dt", no_argument, NULL, 'D' },
		{ "page-size", required_argument, NULL, 'p' },
		{ "phys-bits", required_argument, NULL, 'b' },
		{ "no-channels", no_argument, NULL, 'C' },
		{ "sysfs", required_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'j' },
		CLI_LONGOPTS,
		{ 0 }
	};
	struct opts o = {
		.channels = true,
		.sysfs = SYSFS_XSHM_DEFAULT,
		.page_size = 4096,
		.phys_bits = 48,
	};
	static const char *regions[REGIONS_MAX];
	struct json j;
	int c, rc = 0;

	tool_init(argv);
	o.regions = regions;
	while ((c = getopt_long(argc, argv, "r:d:Dp:b:j" CLI_SHORTOPTS, longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (o.nregions == REGIONS_MAX)
				return usage_error("at most %d --region options", REGIONS_MAX);
			o.regions[o.nregions++] = optarg;
			break;
		case 'd':
			o.dtb = optarg;
			break;
		case 'D':
			o.dtb = LIVE_FDT;
			break;
		case 'p':
			if (!parse_size(optarg, &o.page_size) || !o.page_size ||
			    (o.page_size & (o.page_size - 1)))
				return usage_error("--page-size needs a power of two, not \"%s\"", optarg);
			break;
		case 'b': {
			long long bits;

			if (!parse_int(optarg, 32, &bits) || bits > 64)
				return usage_error("--phys-bits needs 32..64, not \"%s\"", optarg);
			o.phys_bits = (unsigned int)bits;
			break;
		}
		case 'C':
			o.channels = false;
			break;
		case 'S':
			o.sysfs = optarg;
			break;
		case 'j':
			o.json = true;
			break;
		default:
			if (!cli_common_option(c, usage))
				return EXIT_USAGE;
			break;
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument \"%s\"", argv[optind]);

	json_init(&j, stdout);
	if (o.json)
		json_obj_begin(&j, NULL);
	if (o.nregions)
		rc = show_files(&o, &j);
	else if (!o.dtb)
		rc = show_sysfs(&o, &j);
	if (o.dtb) {
		rc = exit_worst(rc, show_tree(&o, &j));
	}
	if (o.json) {
		json_obj_end(&j);
		json_finish(&j);
	}
	return rc;
}
