// The commands of the `daas` tool, on an open Database and plain streams, so they run the same from
// main() and from tests. Argument parsing, opening the database and exit codes live in cli_app.h.
//
// Invariant: a command writes its result (an ID, a document, a count, JSON Lines) to `out` and
// nothing else; progress and notes go to `err`; a failure is the returned Status, printed once by
// the caller with PrintError.
#pragma once

#include <chrono>
#include <cstddef>
#include <iosfwd>
#include <string>
#include <string_view>

#include "daas/daas.hpp"

namespace daas::cli {

enum class Command {
  kStats,    // each collection's CollectionStats, as a table
  kList,     // collection names, one per line
  kCreate,   // create `collection`
  kDrop,     // drop `collection` and its documents
  kRename,   // rename `collection` to `target`
  kCount,    // the number of documents in `collection`
  kInsert,   // insert `json`, print the new ID; creates `collection` if missing
  kGet,      // print document `id` as JSON
  kReplace,  // replace document `id` by `json`
  kPatch,    // apply `json` as a JSON Merge Patch (RFC 7386) to document `id`
  kDelete,   // delete document `id`
  kImport,   // insert every document of `file` (JSON Lines or a JSON array); creates `collection`
  kExport,   // write every document as JSON Lines, in ID order
  kCheck,    // verify every file without opening the database (CheckCommand, not RunCommand)
  kBackup,   // write a consistent copy of the open database into `target`
  kRestore,  // copy the backup in `target` into the database directory (not RunCommand)
  kCompact,  // give space back (Database::Compact) and print the disk use before and after
  kSchema,   // apply the schema file `file` (creating its collections), or print the schemas
  kTypes,    // print TypeScript declarations for every collection with a schema
};

inline constexpr size_t kDefaultImportBatchSize = 10'000;
// The largest --batch-size: a batch is held in memory and committed as one log record.
inline constexpr size_t kMaxImportBatchSize = 1'000'000;

// The arguments of every command; each command reads only the fields it needs. Every member has a
// default member initializer, so a designated initializer may name only the ones it sets.
struct CommandArgs {
  std::string collection{};
  std::string target{};   // rename: the new name
  std::string id{};       // get, replace, patch, delete: the document ID in text form
  std::string json{};     // insert, replace, patch: a JSON object, or "-" to read it from `in`
  std::string file{};     // import, schema: a path, or "-" for `in`
  std::string output{};   // export: write to this file instead of `out` ("" for `out`)
  bool with_ids = false;  // export: {"id":...,"document":...} per line
  size_t batch_size = kDefaultImportBatchSize;       // import: documents per atomic InsertMany,
                                                     // 1 to kMaxImportBatchSize
  bool progress = false;                             // import: redraw a progress line on `err`
  std::chrono::milliseconds progress_interval{100};  // import: least time between redraws
  std::istream* in = nullptr;  // standard input, for "-"; nullptr makes "-" an error
  DocumentLimits limits{};     // for converting JSON; match the database's Options::limits
};

// The command's name as typed on the command line ("insert").
std::string_view CommandName(Command command);

// Whether the command may create a missing database directory. Only insert, import, create and
// schema with a FILE do: a read, or a write to something that must already exist, on a mistyped
// --dir fails with not_found instead of leaving an empty database behind. (RunCli adds one
// exception: `daas` with no command and no --dir creates ./data.)
bool CommandCreatesDatabase(Command command, const CommandArgs& args);

// `daas check`: verifies every checksum and grammar rule of the database in `dir` without opening
// it or changing anything, and prints what it found to `out`. Corruption (listing every problem)
// when anything is damaged; NotFound when `dir` holds no database.
Status CheckCommand(const std::string& dir, std::ostream& out);

// Runs one command. Returns the first error: a bad argument (InvalidArgument, with the byte offset
// for bad JSON and DocId::Parse's message for a bad ID), a missing collection or document
// (NotFound), an input or output the OS refused (ErrnoToStatus's codes: ResourceExhausted for a
// full disk), an import input that changed while it was read (Aborted), or whatever the database
// returned. An import that fails has already committed the documents before the failing one, and
// its message ends with how many (see docs/cli.md). Export creates `args.output` only once the
// collection is found.
// Not thread-safe with respect to the streams; the database may be shared.
Status RunCommand(Command command, Database& db, const CommandArgs& args, std::ostream& out,
                  std::ostream& err);

// Thrown by a command, past its own handlers, when the database ran out of memory inside a call:
// the database's state is then unknown, so RunCli ends the process with `status` without closing
// it (every acknowledged commit is in the log, which the next open replays). A command's own
// allocations running out are ordinary errors (ResourceExhausted).
struct OutOfMemoryInDatabase {
  Status status;
};

// Writes `bytes` to `out` (flushing it when `flush`), and says whether they got there: the error
// writing `what` ("standard output") otherwise, ResourceExhausted for a full disk and IOError for
// anything else, as ErrnoToStatus.
Status WriteOutput(std::ostream& out, std::string_view bytes, bool flush, std::string_view what);

// Prints "daas: error: <code name> (<code number>): <message>\n", always one line: control
// characters in the message are escaped (core::EscapeForOneLine). Requires: !status.ok().
void PrintError(const Status& status, std::ostream& err);

// 1234567 -> "1,234,567".
std::string WithThousandsSeparators(uint64_t value);

}  // namespace daas::cli
