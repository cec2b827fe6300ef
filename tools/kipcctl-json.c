// SPDX-License-Identifier: GPL-2.0
/*
 * kipcctl - JSON output through json-c.
 *
 * The json_*() calls build one json-c document (a stack of the open
 * objects and arrays); kjson_end() prints it on one line, or indented
 * with -p, and frees it.  json-c escapes strings; what it cannot know is
 * that a message payload may not be UTF-8, so a payload that is not has
 * a serializer of its own: each byte outside a valid UTF-8 sequence is
 * written \u00XX (its value), the runs between go through json-c.
 */
#include <inttypes.h>
#include <string.h>

#include <json-c/json.h>
#include <json-c/printbuf.h>

#include "kipcctl.h"

#define JSON_FLAGS	JSON_C_TO_STRING_NOSLASHESCAPE

void kjson_init(struct kjson *j, FILE *f, bool pretty)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
	j->pretty = pretty;
}

/* Put @v under @key in the innermost open container (or make it the
 * document).  json-c takes the reference.
 */
static void kjson_add(struct kjson *j, const char *key, struct json_object *v)
{
	struct json_object *top = j->depth ? j->stack[j->depth - 1] : NULL;

	if (!top) {
		json_object_put(j->root);
		j->root = v;
	} else if (json_object_is_type(top, json_type_array)) {
		json_object_array_add(top, v);
	} else {
		json_object_object_add(top, key ? key : "", v);
	}
}

static void kjson_open(struct kjson *j, const char *key, struct json_object *v)
{
	kjson_add(j, key, v);
	if (j->depth < (int)ARRAY_SIZE(j->stack))
		j->stack[j->depth++] = v;
}

void kjson_obj_open(struct kjson *j, const char *key)
{
	kjson_open(j, key, json_object_new_object());
}

void kjson_arr_open(struct kjson *j, const char *key)
{
	kjson_open(j, key, json_object_new_array());
}

void kjson_obj_close(struct kjson *j)
{
	if (j->depth)
		j->depth--;
}

void kjson_arr_close(struct kjson *j)
{
	kjson_obj_close(j);
}

void kjson_u64(struct kjson *j, const char *key, uint64_t v)
{
	kjson_add(j, key, json_object_new_uint64(v));
}

void kjson_i64(struct kjson *j, const char *key, int64_t v)
{
	kjson_add(j, key, json_object_new_int64(v));
}

/* A finite number with three decimals (JSON has no NaN or infinity). */
void kjson_f64(struct kjson *j, const char *key, double v)
{
	char s[64];

	if (v != v || v > 1e300 || v < -1e300)
		v = 0;
	snprintf(s, sizeof(s), "%.3f", v);
	kjson_add(j, key, json_object_new_double_s(v, s));
}

void kjson_bool(struct kjson *j, const char *key, bool v)
{
	kjson_add(j, key, json_object_new_boolean(v));
}

void kjson_null(struct kjson *j, const char *key)
{
	kjson_add(j, key, NULL);
}

void kjson_str(struct kjson *j, const char *key, const char *s)
{
	kjson_strn(j, key, s, strlen(s));
}

/* Length of the valid UTF-8 sequence at @p (at most @len bytes), or 0. */
static size_t utf8_len(const unsigned char *p, size_t len)
{
	uint32_t cp;
	size_t n, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, cp = p[0] & 0x07;
	else
		return 0;
	if (n > len)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	/* Overlong forms, surrogates and beyond U+10FFFF are invalid. */
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

/* The length of the valid UTF-8 run at the start of [@p, @p + @len). */
static size_t utf8_run(const unsigned char *p, size_t len)
{
	size_t i = 0, n;

	while (i < len && (n = utf8_len(p + i, len - i)))
		i += n;
	return i;
}

/* Append @len bytes of valid UTF-8, escaped by json-c, without quotes. */
static void kjson_append_run(struct printbuf *pb, const unsigned char *p,
			    size_t len, int flags)
{
	struct json_object *s = json_object_new_string_len((const char *)p,
							   (int)len);
	const char *out = json_object_to_json_string_ext(s, flags);
	size_t n = strlen(out);

	if (n >= 2)
		printbuf_memappend(pb, out + 1, (int)n - 2);
	json_object_put(s);
}

/* The serializer of a string that is not all UTF-8. */
static int kjson_bytes_to_string(struct json_object *jso, struct printbuf *pb,
				int level, int flags)
{
	const unsigned char *p = (const void *)json_object_get_string(jso);
	size_t len = json_object_get_string_len(jso), i = 0, n;
	char esc[8];

	(void)level;
	printbuf_memappend(pb, "\"", 1);
	while (i < len) {
		n = utf8_run(p + i, len - i);
		if (n) {
			kjson_append_run(pb, p + i, n, flags);
			i += n;
			continue;
		}
		snprintf(esc, sizeof(esc), "\\u%04x", p[i++]);
		printbuf_memappend(pb, esc, 6);
	}
	printbuf_memappend(pb, "\"", 1);
	return 0;
}

void kjson_strn(struct kjson *j, const char *key, const void *s, size_t len)
{
	struct json_object *v = json_object_new_string_len(s, (int)len);

	if (utf8_run(s, len) != len)
		json_object_set_serializer(v, kjson_bytes_to_string, NULL, NULL);
	kjson_add(j, key, v);
}

void kjson_end(struct kjson *j)
{
	int flags = JSON_FLAGS | (j->pretty ? JSON_C_TO_STRING_PRETTY |
				  JSON_C_TO_STRING_SPACED : JSON_C_TO_STRING_PLAIN);

	fputs(json_object_to_json_string_ext(j->root, flags), j->f);
	fputc('\n', j->f);
	fflush(j->f);
	json_object_put(j->root);
	j->root = NULL;
	j->depth = 0;
}
