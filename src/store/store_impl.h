/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Private pieces of the store shared between its files and its unit test:
 * the schema text (schema.c, generated from schema.sql) and its version.
 */
#ifndef VIGIL_STORE_IMPL_H
#define VIGIL_STORE_IMPL_H

/* Bump when schema.sql changes incompatibly; kept in meta.schema_version. */
#define STORE_SCHEMA_VERSION 1

/* The whole of schema.sql, NUL-terminated. */
extern const char store_schema_sql[];

#endif
