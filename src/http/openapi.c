/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The OpenAPI document as a C string: generated from openapi.json by
 * openapi_gen.sh; edit openapi.json and run the script, never this file.
 */
#include "http/http_impl.h"

const char http_openapi_json[] =
    "{\"openapi\":\"3.0.3\"}\n"
    ;
