/*
 * json.c - JSON helpers over jansson (see json.h).  Layer 0.
 */
#include "ferry/json.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/mem.h"

int json_strings_encode(const char *const *vals, const size_t *lens, size_t n,
			char **out, struct err *e)
{
	json_t *a = json_array();
	char *s;

	for (size_t i = 0; i < n; i++) {
		json_t *v = json_stringn(vals[i], lens[i]);

		if (!v) {
			json_decref(a);
			return err_set(e, FERRY_EINVAL, "key value %zu is not "
				       "valid UTF-8", i + 1);
		}
		json_array_append_new(a, v);
	}
	s = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	if (!s)
		return err_set(e, FERRY_ENOMEM, "could not encode key");
	*out = xstrdup(s);
	free(s);
	return 0;
}

int json_strings_decode(const char *text, char ***vals, size_t *n,
			struct err *e)
{
	json_error_t je;
	json_t *a = json_loads(text, 0, &je);
	size_t cnt;

	if (!a || !json_is_array(a)) {
		json_decref(a);
		return err_set(e, FERRY_EINVAL, "not a JSON array of strings: "
			       "\"%.80s\"", text);
	}
	cnt = json_array_size(a);
	*vals = xcalloc(cnt ? cnt : 1, sizeof(**vals));
	for (size_t i = 0; i < cnt; i++) {
		json_t *v = json_array_get(a, i);

		if (!json_is_string(v)) {
			json_strings_free(*vals, i);
			json_decref(a);
			return err_set(e, FERRY_EINVAL, "element %zu of \"%.80s\" "
				       "is not a string", i + 1, text);
		}
		(*vals)[i] = xstrndup(json_string_value(v),
				      json_string_length(v));
	}
	*n = cnt;
	json_decref(a);
	return 0;
}

void json_strings_free(char **vals, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(vals[i]);
	free(vals);
}
