/* SPDX-License-Identifier: BSD-2-Clause */
/* Entity text forms and event names (see include/vigil/entity.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/entity.h"

size_t
vg_entity_fmt(const struct vg_entity *e, char *buf)
{
	int n;
	switch (e->kind) {
	case VG_ENT_COUNTRY:
		n = snprintf(buf, VG_ENTITY_STRLEN, "country:%s", e->cc);
		break;
	case VG_ENT_ASN:
		n = snprintf(buf, VG_ENTITY_STRLEN, "asn:%u", e->asn);
		break;
	case VG_ENT_UPSTREAM:
		n = snprintf(buf, VG_ENTITY_STRLEN, "upstream:%s:%u", e->cc,
		             e->asn);
		break;
	default:
		n = snprintf(buf, VG_ENTITY_STRLEN, "unknown");
		break;
	}
	return n < 0 ? 0 : (size_t)n;
}

static int
parse_asn(const char *s, uint32_t *out)
{
	char *end;
	unsigned long long v;
	if (strncasecmp(s, "AS", 2) == 0)
		s += 2;
	if (!isdigit((unsigned char)*s))
		return -1;
	v = strtoull(s, &end, 10);
	if (*end || v > 0xffffffffULL)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int
parse_cc(const char *s, char cc[3])
{
	if (strlen(s) != 2 || !isalpha((unsigned char)s[0]) ||
	    !isalpha((unsigned char)s[1]))
		return -1;
	cc[0] = (char)toupper((unsigned char)s[0]);
	cc[1] = (char)toupper((unsigned char)s[1]);
	cc[2] = '\0';
	return 0;
}

int
vg_entity_parse(struct vg_entity *e, const char *s)
{
	memset(e, 0, sizeof(*e));
	if (strncmp(s, "country:", 8) == 0) {
		e->kind = VG_ENT_COUNTRY;
		return parse_cc(s + 8, e->cc);
	}
	if (strncmp(s, "asn:", 4) == 0) {
		e->kind = VG_ENT_ASN;
		return parse_asn(s + 4, &e->asn);
	}
	if (strncmp(s, "upstream:", 9) == 0) {
		char cc[3];
		const char *colon = strchr(s + 9, ':');
		if (colon == NULL || colon - (s + 9) != 2)
			return -1;
		memcpy(cc, s + 9, 2);
		cc[2] = '\0';
		e->kind = VG_ENT_UPSTREAM;
		if (parse_cc(cc, e->cc) < 0)
			return -1;
		return parse_asn(colon + 1, &e->asn);
	}
	if (parse_cc(s, e->cc) == 0) {
		e->kind = VG_ENT_COUNTRY;
		return 0;
	}
	e->kind = VG_ENT_ASN;
	return parse_asn(s, &e->asn);
}

int
vg_entity_cmp(const struct vg_entity *a, const struct vg_entity *b)
{
	int c;
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if ((c = strcmp(a->cc, b->cc)) != 0)
		return c;
	if (a->asn != b->asn)
		return a->asn < b->asn ? -1 : 1;
	return 0;
}

const char *
vg_event_kind_name(unsigned kind)
{
	return kind == VG_EVENT_OUTAGE       ? "outage"
	       : kind == VG_EVENT_INSTABILITY ? "instability"
	                                      : "unknown";
}

const char *
vg_event_level_name(unsigned level)
{
	return level == VG_LEVEL_CRITICAL  ? "critical"
	       : level == VG_LEVEL_WARNING ? "warning"
	                                   : "none";
}
