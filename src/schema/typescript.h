// TypeScript declarations for a schema (`daas types`, docs/schema.md "TypeScript"): per
// collection a record type, create and update input types, and a map from collection names to
// them, so a Bun or web application gets compile-time checking of what it reads and writes.
//
// Invariant: the output depends only on the schema (no timestamps), so regenerating an unchanged
// schema gives identical text and the file can be committed and diffed.
#pragma once

#include <string>
#include <string_view>

#include "schema/schema.h"

namespace daas::schema {

// The declarations for every collection of `schema`, as one .d.ts-compatible module text:
//   export type Ref<C extends string>: a document ID of collection C (a branded string);
//   export interface <Name>Record { id: string; ...fields }   what reads return
//   export interface <Name>Create { ...fields }                what create accepts
//   export interface <Name>Update { ...fields, all optional, readonly ones left out }
//   export interface Collections { <name>: { record; create; update } }
// <Name> is the collection name in PascalCase (`order_items` -> `OrderItems`). Thread-safe.
std::string GenerateTypeScript(const Schema& schema);

// "order_items" -> "OrderItems".
std::string TypeScriptName(std::string_view collection);

}  // namespace daas::schema
