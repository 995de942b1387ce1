// The full check of a database directory (docs/cli.md: check), which restore runs on a backup.
#pragma once

#include <string>

#include "daas/status.h"
#include "env/env.h"
#include "storage/check.h"

namespace daas::engine {

// Everything open verifies of the database in `dir`, without opening it: storage::CheckDirectory
// with the engine's catalog rules. What `daas check` runs, and restore on the backup. Errors as
// storage::CheckDirectory.
Result<storage::CheckReport> CheckDatabase(env::Env* env, const std::string& dir);

}  // namespace daas::engine
