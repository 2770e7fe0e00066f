/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A tiny streaming JSON writer: enough for the tools' --json output. */
#ifndef XSHM_TOOLS_JSON_H
#define XSHM_TOOLS_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16

struct json {
	FILE *f;
	int depth;
	bool first[JSON_MAX_DEPTH];
};

void json_init(struct json *j, FILE *f);
/* key is NULL inside arrays and for the top-level value */
void json_obj_begin(struct json *j, const char *key);
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j, const char *key);
void json_arr_end(struct json *j);
void json_str(struct json *j, const char *key, const char *val);
/* a string of len bytes that may hold any byte (see put_escaped()) */
void json_strn(struct json *j, const char *key, const char *val, size_t len);
/* a number: for values below 2^53, which every JSON reader keeps exact */
void json_u64(struct json *j, const char *key, uint64_t val);
/*
 * a string of decimal digits: for values that may use all 64 bits
 * (generations, shared counters, stamps, addresses), which readers that
 * hold numbers as doubles (jq 1.6, JavaScript) would round
 */
void json_u64_str(struct json *j, const char *key, uint64_t val);
void json_f64(struct json *j, const char *key, double val);
void json_bool(struct json *j, const char *key, bool val);
/* ends the document with a newline */
void json_finish(struct json *j);

#endif /* XSHM_TOOLS_JSON_H */
