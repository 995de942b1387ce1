// Backup, restore and the full check of a database directory (docs/cli.md: check, backup,
// restore).
//
// Backup and restore both copy a database's files into a target directory with a DatabaseCopy:
//
//   Begin:   lock the target (its LOCK file); refuse it if it holds a database (MANIFEST), or data
//            DaaS did not mark as an unfinished copy; write INCOMPLETE (synced with the directory);
//            then remove what an earlier unfinished copy left there (names DaaS writes only)
//   Copy:    each shard file and log segment, written and fdatasync'ed
//   Finish:  fsync the directory; check the copy as open would (CheckFiles with the manifest to be
//            written); write MANIFEST atomically, the commit point; remove INCOMPLETE
//
// Invariant: a target directory holds a MANIFEST only once everything it names is copied and has
// passed the check; until then it holds INCOMPLETE, which open refuses and the next backup or
// restore into it clears. A kill at any moment therefore leaves either a finished copy or one the
// next run starts over.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "daas/status.h"
#include "env/env.h"
#include "storage/check.h"

namespace daas::engine {

// Everything open verifies of the database in `dir`, without opening it: storage::CheckDirectory
// with the engine's catalog rules. What `daas check` runs; restore runs it on the backup, and
// backup and restore run it on the copy they made. Errors as storage::CheckDirectory.
Result<storage::CheckReport> CheckDatabase(env::Env* env, const std::string& dir);

// A copy of a database's files into a target directory, which becomes a database only when the
// copy is complete and checked (see the top of this file). Not thread-safe.
class DatabaseCopy {
 public:
  // Prepares `dir` (created if missing) and holds its locks until destroyed (a refused `dir` gets
  // no LOCK file). Errors: Busy (the
  // directory is open, or being copied into, elsewhere), AlreadyExists (it holds a database, or
  // shard files, log segments or a MANIFEST.tmp without the INCOMPLETE marker: perhaps a database
  // that lost its manifest; nothing is deleted then), IOError.
  static Result<std::unique_ptr<DatabaseCopy>> Begin(env::Env* env, const std::string& dir);

  // Copies into the target, fdatasync'ed, the database files of directory `from`: the shard files
  // `manifest` names, then every log segment there.
  Status CopyFiles(const std::string& from, const storage::Manifest& manifest);

  // Checks the copy against `manifest_bytes` (what it is a copy of), then writes them as the
  // target's MANIFEST and removes the marker. Errors: Corruption naming the first problem (the
  // target keeps its INCOMPLETE marker), IOError.
  Status Finish(std::string_view manifest_bytes);

 private:
  // Copies file `name` of directory `from` into the target, fdatasync'ed.
  Status Copy(const std::string& from, const std::string& name);

  DatabaseCopy(env::Env* env, std::string dir, std::unique_ptr<env::FileLock> dir_lock,
               std::unique_ptr<env::FileLock> file_lock)
      : env_(env),
        dir_(std::move(dir)),
        dir_lock_(std::move(dir_lock)),
        file_lock_(std::move(file_lock)) {}

  env::Env* const env_;
  const std::string dir_;
  // Held until destroyed, as an open database holds them: the directory, and its LOCK file.
  const std::unique_ptr<env::FileLock> dir_lock_;
  const std::unique_ptr<env::FileLock> file_lock_;
};

}  // namespace daas::engine
