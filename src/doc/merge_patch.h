// JSON Merge Patch (RFC 7386) on MessagePack documents.
#pragma once

#include <string>
#include <string_view>

#include "daas/options.h"
#include "daas/status.h"

namespace daas::doc {

// Applies `patch` (a validated MessagePack map) to `target` (a validated document): keys in the
// patch replace the target's, nil removes the key, maps merge recursively, everything else (arrays
// included) replaces whole. Keys keep the target's order; new keys are appended in the patch's
// order. Errors: ResourceExhausted when the result breaks `limits`; InvalidArgument when `patch` is
// not a map (a whole-document replacement is a put, not a patch). Requires: both inputs validated
// (ValidateDocument / ValidateValue). Thread-safe.
Result<std::string> MergePatch(std::string_view target, std::string_view patch,
                               const DocumentLimits& limits);

}  // namespace daas::doc
