#include "cli/cli_app.h"

#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <ostream>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "core/quote.h"
#include "core/status_macros.h"
#include "daas/daas.hpp"
#include "env/env.h"

#ifndef DAAS_VERSION
#define DAAS_VERSION "unknown"
#endif

namespace daas::cli {
namespace {

constexpr const char* kAppDescription =
    "daas: command-line access to a DaaS document database stored in a directory.\n"
    "With no command, prints the statistics of every collection (as `daas stats`); with no\n"
    "--dir either, it first creates an empty database in ./data when there is none.";

constexpr const char* kAppFooter =
    "--dir may be given before or after the command. Read-only commands and commands that\n"
    "change existing data fail with not_found when DIR holds no database; insert, import,\n"
    "create and schema create it. Documents are JSON objects; IDs are 19-character strings\n"
    "printed by insert. A COLLECTION or ID that starts with '-' is a name, not an option.\n"
    "Run `daas COMMAND --help` for a command's details and an example.\n"
    "\n"
    "Examples:\n"
    "  daas --dir ./data insert users '{\"name\":\"Ada\",\"age\":36}'\n"
    "  daas get users y0WuhJViD3c----0--- --dir ./data\n"
    "  daas import users users.jsonl\n"
    "  daas export users -o users.jsonl\n"
    "\n"
    "Exit status: 0 success; 1 an error from the database or the input (printed on one line\n"
    "as `daas: error: <code name> (<code number>): <message>`; a full disk is\n"
    "resource_exhausted (8)); 2 a usage error, a bad option value included.";

// A real-looking ID for the examples.
constexpr const char* kExampleId = "y0WuhJViD3c----0---";

struct Subcommand {
  Command command;
  CLI::App* app;
};

// CLI11's own failures (unknown option, missing argument...) in our one error format: the error on
// one line (it may echo what was typed), then a hint.
std::string UsageFailure(const CLI::App* app, const CLI::Error& e) {
  std::string out = "daas: error: " + std::string(StatusCodeName(StatusCode::kInvalidArgument)) +
                    " (" + std::to_string(static_cast<int>(StatusCode::kInvalidArgument)) +
                    "): " + core::EscapeForOneLine(e.what()) + "\n";
  std::string command = "daas";
  if (app != nullptr) {
    for (const CLI::App* sub : app->get_subcommands()) command += " " + sub->get_name();
  }
  return out + "run '" + command + " --help' for usage\n";
}

CLI::App* AddCommand(CLI::App& app, std::vector<Subcommand>& commands, Command command,
                     const std::string& description, const std::string& footer) {
  CLI::App* sub = app.add_subcommand(std::string(CommandName(command)), description);
  // --dir is the main app's option; fallthrough lets it follow the command too.
  sub->fallthrough();
  // Subcommand help does not list the main app's options, so name --dir here.
  sub->footer(footer +
              "\n\n--dir DIR (default ./data) names the database; it may come before or after "
              "the command.");
  commands.push_back({command, sub});
  return sub;
}

void AddCollection(CLI::App* sub, CommandArgs& args, const std::string& what = "collection name") {
  sub->add_option("COLLECTION", args.collection, what)->required();
}

void AddId(CLI::App* sub, CommandArgs& args) {
  sub->add_option("ID", args.id, "document ID, as printed by insert")->required();
}

void AddJson(CLI::App* sub, CommandArgs& args, const std::string& what) {
  sub->add_option("JSON", args.json, what + "; \"-\" reads it from standard input")->required();
}

// A collection name or a document ID may start with '-' (one ID in 64 does), which CLI11 would take
// for an option: `daas create -abc` would say that COLLECTION is missing instead of that '-abc' is
// not a valid name. So before parsing, a token that stands in a COLLECTION, FROM, TO or ID place of
// the command and starts with '-' is swapped for a placeholder that cannot start with '-', and
// swapped back after parsing (in the values and in CLI11's messages). A token stands in such a
// place when it is not one of the command's own options (or --dir, or an option's value) and the
// positionals before it fill the places before it. `--` works too, and stops the swapping.
class DashArgumentShield {
 public:
  DashArgumentShield(const CLI::App& app, const std::vector<Subcommand>& commands, int argc,
                     const char* const* argv)
      : argv_(argv, argv + argc) {
    const CLI::App* sub = nullptr;
    size_t i = 1;
    // The command is the first token that is neither an option nor the value of --dir.
    for (; i < argv_.size() && sub == nullptr; ++i) {
      const std::string_view token = argv_[i];
      if (token == "--dir") {
        ++i;
      } else if (token.empty() || token[0] != '-') {
        for (const Subcommand& c : commands) {
          if (c.app->get_name() == token) sub = c.app;
        }
        if (sub == nullptr) return;  // not a command: CLI11 reports it
      }
    }
    if (sub == nullptr) return;
    std::vector<bool> shielded_places;  // per positional of the command, in order
    for (const CLI::Option* opt : sub->get_options()) {
      if (!opt->get_positional()) continue;
      const std::string& name = opt->get_name();
      shielded_places.push_back(name == "COLLECTION" || name == "FROM" || name == "TO" ||
                                name == "ID");
    }
    std::vector<size_t> positions;
    for (size_t place = 0; i < argv_.size(); ++i) {
      const std::string_view token = argv_[i];
      if (token == "--") break;
      if (!token.empty() && token[0] == '-') {
        const std::string name(token.substr(0, token.find('=')));
        const CLI::Option* opt = FindOption(app, *sub, name);
        if (opt != nullptr) {
          // Its value is the next token, unless given as --name=value.
          if (opt->get_items_expected_max() > 0 && name.size() == token.size()) ++i;
          continue;
        }
        // -ofile.jsonl: a short option that takes a value, with its value attached.
        if (token.size() > 2 && token[1] != '-') {
          const CLI::Option* short_opt = FindOption(app, *sub, std::string(token.substr(0, 2)));
          if (short_opt != nullptr && short_opt->get_items_expected_max() > 0) continue;
        }
        if (place < shielded_places.size() && shielded_places[place]) {
          positions.push_back(i);
          originals_.emplace_back(token);
          placeholders_.push_back("\x1f" + std::to_string(placeholders_.size()) + "\x1f");
        }
      }
      ++place;
    }
    // Pointers into placeholders_ are taken once it no longer grows.
    for (size_t j = 0; j < positions.size(); ++j) argv_[positions[j]] = placeholders_[j].c_str();
  }

  int argc() const { return static_cast<int>(argv_.size()); }
  const char* const* argv() const { return argv_.data(); }

  // A parsed value: the original token when the value is a placeholder (a placeholder stands for a
  // whole token), else the value as it is.
  std::string RestoreValue(std::string value) const {
    for (size_t j = 0; j < placeholders_.size(); ++j) {
      if (value == placeholders_[j]) return originals_[j];
    }
    return value;
  }

  // A message: every placeholder in it replaced by its token, in one pass from left to right, so
  // that a token that itself looks like a placeholder is left as it is.
  std::string RestoreMessage(std::string_view text) const {
    std::string out;
    size_t at = 0;
    while (at < text.size()) {
      bool replaced = false;
      for (size_t j = 0; j < placeholders_.size() && !replaced; ++j) {
        if (text.substr(at).starts_with(placeholders_[j])) {
          out += originals_[j];
          at += placeholders_[j].size();
          replaced = true;
        }
      }
      if (!replaced) out += text[at++];
    }
    return out;
  }

 private:
  // The option `name` of the command, or of the tool (--dir, --version); null when neither has it.
  static const CLI::Option* FindOption(const CLI::App& app, const CLI::App& sub,
                                       const std::string& name) {
    const CLI::Option* opt = sub.get_option_no_throw(name);
    return opt != nullptr ? opt : app.get_option_no_throw(name);
  }

  std::vector<const char*> argv_;
  std::vector<std::string> originals_;
  std::vector<std::string> placeholders_;
};

// For numeric options: a whole number from 1 to `max` in plain digits. CLI11's own conversion to
// an unsigned type would take "-1" as 2^64-1 and let an overflowing value through.
CLI::Validator WholeNumberFromOne(uint64_t max) {
  return CLI::Validator(
      [max](std::string& value) -> std::string {
        uint64_t n = 0;
        const char* end = value.data() + value.size();
        const auto [ptr, ec] = std::from_chars(value.data(), end, n);
        if (value.empty() || ec != std::errc() || ptr != end || n == 0 || n > max) {
          return "must be a whole number from 1 to " + WithThousandsSeparators(max) + ", got " +
                 core::QuoteForMessage(value);
        }
        return std::string();
      },
      "1.." + std::to_string(max));
}

// Whether `dir` has no database and may get a new one without touching anything else there: it
// does not exist, or it is an empty directory.
Result<bool> IsFreeForNewDatabase(const std::string& dir) {
  env::Env* env = env::Env::Default();
  DAAS_ASSIGN_OR_RETURN(bool exists, env->FileExists(dir));
  if (!exists) return true;
  Result<std::vector<std::string>> entries = env->ListDir(dir);
  return entries.ok() && entries->empty();
}

// What the command line says, filled in by CLI11.
struct Invocation {
  std::string dir = "./data";
  std::string output;  // export -o
  bool no_progress = false;
  CommandArgs args;
  std::vector<Subcommand> commands;
};

// Defines the options and commands of `daas`, binding them to `v`.
void DefineCli(CLI::App& app, Invocation& v) {
  CommandArgs& args = v.args;
  std::vector<Subcommand>& commands = v.commands;
  app.set_version_flag("--version", "daas " DAAS_VERSION);
  app.require_subcommand(0, 1);

  app.add_option("--dir", v.dir, "database directory")->capture_default_str()->type_name("DIR");

  AddCommand(app, commands, Command::kCheck,
             "Verify every checksum of the database without opening or changing it",
             "Reads the manifest, every shard file and every write-ahead log segment and checks\n"
             "their checksums and grammar, and everything opening the database checks (each shard\n"
             "file is the one the manifest names, the log reaches back far enough, ...): a\n"
             "database check passes opens. A torn log tail (a commit that was never acknowledged)\n"
             "is reported, not counted as damage: opening the database cuts it. Exits 1 and lists\n"
             "each problem, with file and byte offset, when anything is damaged. Run it on a\n"
             "database no process has open.\n\n"
             "Example:\n  daas check --dir ./data");
  AddCommand(app, commands, Command::kStats,
             "Print each collection's documents, bytes and shards (the default)",
             "Prints one row per collection: documents; document_bytes, the sum of the stored\n"
             "MessagePack sizes; memory_bytes, the memory held for them; and shards.\n\n"
             "Example:\n  daas stats --dir ./data");
  AddCommand(app, commands, Command::kList, "List the collections, one name per line",
             "Names are printed in ascending byte order.\n\nExample:\n  daas list");

  CLI::App* create = AddCommand(
      app, commands, Command::kCreate, "Create an empty collection",
      "Names are 1 to 128 letters, digits or '_', starting with a letter. Fails with\n"
      "already_exists if the collection exists. Creates the database when DIR has none.\n\n"
      "Example:\n  daas create users");
  AddCollection(create, args);

  CLI::App* drop =
      AddCommand(app, commands, Command::kDrop, "Delete a collection and all its documents",
                 "Example:\n  daas drop users");
  AddCollection(drop, args);

  CLI::App* rename =
      AddCommand(app, commands, Command::kRename, "Rename a collection",
                 "Document IDs stay valid. Fails with already_exists if TO is taken.\n\n"
                 "Example:\n  daas rename users people");
  rename->add_option("FROM", args.collection, "current name")->required();
  rename->add_option("TO", args.target, "new name")->required();

  CLI::App* backup = AddCommand(
      app, commands, Command::kBackup, "Write a consistent copy of the database while it is in use",
      "Checkpoints, then copies the checkpoint files and the write-ahead log into BACKUP_DIR\n"
      "(created if missing). The copy opens as the database was after one commit made during\n"
      "the backup. It becomes a database only once complete and checked: until then BACKUP_DIR\n"
      "holds an INCOMPLETE file, and a backup cut short (killed) leaves it for the next backup\n"
      "into BACKUP_DIR to clear. Refused, touching nothing: a BACKUP_DIR holding a database, or\n"
      "shard files or log segments without INCOMPLETE. Restore it with `daas restore`.\n\n"
      "Example:\n  daas backup /backups/2026-11-22 --dir ./data");
  backup->add_option("BACKUP_DIR", args.target, "directory for the copy")->required();

  AddCommand(app, commands, Command::kCompact, "Give the space of deleted documents back",
             "Rewrites the memory of loaded shards with live documents only, checkpoints, and\n"
             "deletes every write-ahead log segment the checkpoint covers, so that disk use\n"
             "follows the live data after mass deletes. Prints the bytes of shard files and\n"
             "log before and after.\n\n"
             "Example:\n  daas compact --dir ./data");

  CLI::App* schema_cmd = AddCommand(
      app, commands, Command::kSchema, "Apply a schema file, or print the schemas",
      "With FILE (a daas.schema.json, docs/schema.md): creates the collections it names that\n"
      "are missing, then gives each its schema. Every stored document is checked against the\n"
      "new schema first; if one breaks it, that collection's schema stays as it was and the\n"
      "error lists the first documents that break it. A changed schema needs a higher\n"
      "version. Without FILE: prints every collection's schema as a schema file.\n\n"
      "Examples:\n  daas schema daas.schema.json\n  daas schema > daas.schema.json");
  schema_cmd->add_option("FILE", args.file, "schema file; \"-\" reads standard input");

  AddCommand(app, commands, Command::kTypes, "Print TypeScript declarations for the schemas",
             "One record, create and update type per collection with a schema, and ref types,\n"
             "so a Bun or web app gets compile-time checking (docs/schema.md, \"TypeScript\").\n\n"
             "Example:\n  daas types > src/daas-types.ts");

  CLI::App* restore = AddCommand(
      app, commands, Command::kRestore, "Copy a backup into the database directory",
      "Checks every file of BACKUP_DIR (as `daas check` does), then copies it into DIR. A\n"
      "damaged backup is refused and nothing is copied. DIR is prepared and the copy checked\n"
      "as `daas backup` does: a restore cut short leaves INCOMPLETE in DIR, which the next\n"
      "restore into DIR clears; a DIR holding a database, or DaaS files without INCOMPLETE, is\n"
      "refused.\n\n"
      "Example:\n  daas restore /backups/2026-11-22 --dir ./restored");
  restore->add_option("BACKUP_DIR", args.target, "a directory written by daas backup")->required();

  CLI::App* count =
      AddCommand(app, commands, Command::kCount, "Print the number of documents in a collection",
                 "Example:\n  daas count users");
  AddCollection(count, args);

  CLI::App* insert = AddCommand(
      app, commands, Command::kInsert, "Insert a document and print its new ID",
      "Creates the collection (and the database) when missing, as MongoDB does on first\n"
      "insert. The ID is 19 characters of [-0-9A-Za-z_] and may start with '-'.\n\n"
      "Examples:\n  daas insert users '{\"name\":\"Ada\",\"age\":36}'\n"
      "  echo '{\"name\":\"Bob\"}' | daas insert users -");
  AddCollection(insert, args);
  AddJson(insert, args, "the document, a JSON object");

  CLI::App* get = AddCommand(app, commands, Command::kGet, "Print a document as JSON",
                             "Prints compact JSON on one line. Fails with not_found when the ID "
                             "names no\ndocument of the collection.\n\n"
                             "Example:\n  daas get users " +
                                 std::string(kExampleId));
  AddCollection(get, args);
  AddId(get, args);

  CLI::App* replace =
      AddCommand(app, commands, Command::kReplace, "Replace a whole document",
                 "The document keeps its ID. Fails with not_found when it does not exist.\n\n"
                 "Example:\n  daas replace users " +
                     std::string(kExampleId) + " '{\"name\":\"Ada Lovelace\"}'");
  AddCollection(replace, args);
  AddId(replace, args);
  AddJson(replace, args, "the new document, a JSON object");

  CLI::App* patch = AddCommand(
      app, commands, Command::kPatch, "Apply a JSON Merge Patch (RFC 7386) to a document",
      "null removes a field, objects merge recursively, any other value replaces.\n"
      "Fails with not_found when the document does not exist.\n\n"
      "Example:\n  daas patch users " +
          std::string(kExampleId) + " '{\"age\":37,\"email\":null}'");
  AddCollection(patch, args);
  AddId(patch, args);
  AddJson(patch, args, "the merge patch, a JSON object");

  CLI::App* del = AddCommand(app, commands, Command::kDelete, "Delete a document",
                             "Fails with not_found when the document does not exist.\n\n"
                             "Example:\n  daas delete users " +
                                 std::string(kExampleId));
  AddCollection(del, args);
  AddId(del, args);

  CLI::App* import = AddCommand(
      app, commands, Command::kImport, "Insert the documents of a JSON Lines or JSON array file",
      "FILE holds JSON Lines (one object per line; blank lines are skipped) or one JSON\n"
      "array of objects; the first non-space byte tells which. Creates the collection\n"
      "when missing. Documents are inserted in batches of --batch-size, each atomic.\n"
      "\n"
      "Not all-or-nothing: on a bad document the import stops with an error naming its\n"
      "byte offset (and line). Every document before it stays imported, none after it\n"
      "is, and the error says how many were imported; fix the input and import the rest.\n"
      "\n"
      "The input is read in pieces of 4 MiB and imported as it arrives, so its size does\n"
      "not matter and an endless pipe is imported until it is killed. A control byte\n"
      "(such as NUL), which JSON never holds, is refused where it is found, and so is a\n"
      "document still unfinished after 64 MiB. A FILE that shrinks, grows or is rewritten\n"
      "while it is read stops the import with aborted (10).\n"
      "When standard error is a terminal a progress line shows bytes, documents and\n"
      "docs/s; a summary is printed at the end.\n\n"
      "Examples:\n  daas import users users.jsonl\n  daas import users users.json\n"
      "  zcat users.jsonl.gz | daas import users -");
  AddCollection(import, args);
  import->add_option("FILE", args.file, "input file; \"-\" reads standard input")->required();
  import
      ->add_option(
          "--batch-size", args.batch_size,
          "documents per atomic batch, from 1 to " + WithThousandsSeparators(kMaxImportBatchSize))
      ->capture_default_str()
      ->check(WholeNumberFromOne(kMaxImportBatchSize));
  import->add_flag("--no-progress", v.no_progress, "never draw the progress line");

  CLI::App* export_ = AddCommand(
      app, commands, Command::kExport, "Write a collection as JSON Lines, in ID order",
      "One compact JSON object per line, in ID order. Without --ids the output can be\n"
      "imported again (documents get new IDs). -o FILE is created (or truncated) only once\n"
      "the collection is found; on a later error a partial output stays.\n\n"
      "Examples:\n  daas export users > users.jsonl\n  daas export users --ids -o users.jsonl");
  AddCollection(export_, args);
  export_->add_option("-o,--output", v.output, "write to FILE instead of standard output ('-': it)")
      ->check(CLI::Validator(
          [](const std::string& file) { return file.empty() ? "must not be empty" : ""; }, "FILE"))
      ->type_name("FILE");
  export_->add_flag("--ids", args.with_ids,
                    "write {\"id\":\"<id>\",\"document\":{...}} per line instead");

  app.footer(kAppFooter);  // after the subcommands, which would otherwise inherit it
}

// Out of memory while the database was being used leaves its state unknown: the process ends
// without closing it, as one killed would, and the next open recovers every acknowledged write
// from the log. Closing would checkpoint whatever state the failure left.
[[noreturn]] void ExitWithoutClosing(const Status& status, const CliStreams& streams) {
  streams.out.flush();
  PrintError(Status(status.code(), std::string(status.message()) +
                                       " (the database was not closed: its next open recovers "
                                       "every acknowledged write from the log)"),
             streams.err);
  streams.err.flush();
  std::_Exit(kExitError);
}

}  // namespace

int RunCli(int argc, const char* const* argv, const CliStreams& streams) {
  CLI::App app(kAppDescription, "daas");
  Invocation v;
  v.args.in = &streams.in;
  DefineCli(app, v);
  CommandArgs& args = v.args;

  const DashArgumentShield shield(app, v.commands, argc, argv);
  app.failure_message([&shield](const CLI::App* failed, const CLI::Error& e) {
    return shield.RestoreMessage(UsageFailure(failed, e));
  });
  try {
    app.parse(shield.argc(), shield.argv());
    for (std::string* value :
         {&args.collection, &args.target, &args.id, &args.json, &args.file, &v.output, &v.dir}) {
      *value = shield.RestoreValue(std::move(*value));
    }
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e, streams.out, streams.err);
    // Help and --version succeed; every other parse failure is a usage error.
    return code == static_cast<int>(CLI::ExitCodes::Success) ? kExitOk : kExitUsage;
  }

  bool main_job = true;  // no command given: stats, the job scripts/run.sh runs first
  Command command = Command::kStats;
  for (const Subcommand& sub : v.commands) {
    if (sub.app->parsed()) {
      command = sub.command;
      main_job = false;
    }
  }
  if (v.dir.empty()) {
    streams.err << UsageFailure(nullptr, CLI::ValidationError("--dir", "must not be empty"));
    return kExitUsage;
  }
  args.progress = streams.err_is_terminal && !v.no_progress;
  if (command == Command::kExport && v.output != "-") args.output = v.output;
  // The commands that run without opening the database; what they print must reach `out` too.
  auto finish = [&](Status status) {
    if (status.ok()) status = WriteOutput(streams.out, "", /*flush=*/true, "standard output");
    if (!status.ok()) PrintError(status, streams.err);
    return status.ok() ? kExitOk : kExitError;
  };
  if (command == Command::kCheck) return finish(CheckCommand(v.dir, streams.out));
  if (command == Command::kRestore) {
    Status restored = RestoreBackup(args.target, v.dir);
    if (restored.ok()) {
      streams.out << "restored " << core::QuoteForMessage(args.target, core::kMaxQuotedPathBytes)
                  << " into " << core::QuoteForMessage(v.dir, core::kMaxQuotedPathBytes) << "\n";
    }
    return finish(restored);
  }

  Options options;
  options.dir = v.dir;
  options.create_if_missing = CommandCreatesDatabase(command, args);
  // The main job on the default directory is a new user's first command: it starts an empty
  // database there rather than fail. An explicit --dir or command keeps the typo protection.
  bool announce_new_database = false;
  if (main_job && app.get_option("--dir")->count() == 0) {
    Result<bool> free = IsFreeForNewDatabase(v.dir);
    announce_new_database = free.ok() && *free;
    options.create_if_missing = announce_new_database;
  }
  args.limits = options.limits;
  Result<std::unique_ptr<Database>> db = Database::Open(options);
  if (!db.ok()) {
    PrintError(db.status(), streams.err);
    return kExitError;
  }
  if (announce_new_database) {
    streams.err << "daas: created an empty database in "
                << core::QuoteForMessage(v.dir, core::kMaxQuotedPathBytes)
                << "; add documents with `daas insert COLLECTION JSON` or `daas import COLLECTION "
                   "FILE`\n";
  }

  Status status;
  try {
    status = RunCommand(command, **db, args, streams.out, streams.err);
  } catch (const OutOfMemoryInDatabase& e) {
    ExitWithoutClosing(e.status, streams);
  } catch (const std::bad_alloc&) {
    ExitWithoutClosing(Status::ResourceExhausted("out of memory running `daas " +
                                                 std::string(CommandName(command)) + "`"),
                       streams);
  }
  // What the command printed must have reached standard output: an insert's ID lost to a full
  // disk is an error, though the document is stored.
  if (status.ok()) status = WriteOutput(streams.out, "", /*flush=*/true, "standard output");
  if (!status.ok()) PrintError(status, streams.err);
  // Close writes the checkpoint that makes this command's changes durable: its error counts too.
  Status closed = (*db)->Close();
  if (!closed.ok()) PrintError(closed.WithContext("closing the database"), streams.err);
  return status.ok() && closed.ok() ? kExitOk : kExitError;
}

}  // namespace daas::cli
