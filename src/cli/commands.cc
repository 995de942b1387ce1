#include "cli/commands.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <istream>
#include <memory>
#include <new>
#include <optional>
#include <ostream>
#include <span>
#include <utility>
#include <vector>

#include "core/quote.h"
#include "core/status_macros.h"
#include "doc/json.h"
#include "engine/backup.h"
#include "env/env.h"
#include "schema/schema.h"

namespace daas::cli {

Status WriteOutput(std::ostream& out, std::string_view bytes, bool flush, std::string_view what) {
  errno = 0;  // what the stream's failed write(2) leaves, if anything
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (flush) out.flush();
  if (out.good()) return Status::OK();
  const int err = errno;
  const std::string message = "writing " + std::string(what) + " failed";
  if (err == 0) return Status::IOError(message);
  if (err == ENOSPC || err == EDQUOT) {
    return Status::ResourceExhausted(message + ": " + std::strerror(err));
  }
  return Status::IOError(message + ": " + std::strerror(err));
}

namespace {

// Import reads its input in pieces of this size.
constexpr size_t kImportReadBytes = 4 << 20;
// Export writes its output in pieces of about this size.
constexpr size_t kExportWriteBytes = 1 << 20;
// A schema file larger than this is refused: real ones are a few KiB.
constexpr uint64_t kMaxSchemaFileBytes = 16 << 20;

// Reads an import's input in pieces of at most the caller's buffer, so memory never depends on the
// input's size: a file with read(2), or standard input through `CommandArgs::in`. A regular file is
// watched while it is read: one that shrinks, grows or is rewritten before its end fails the read
// (Aborted, naming the file and what happened) instead of being read as a mix.
class InputReader {
 public:
  InputReader(const InputReader&) = delete;
  InputReader& operator=(const InputReader&) = delete;
  ~InputReader() {
    if (fd_ > STDIN_FILENO) close(fd_);
  }

  // "-" reads `in`; anything else is a path. NotFound for a missing file, InvalidArgument for a
  // directory, and what open(2) refused.
  static Result<std::unique_ptr<InputReader>> Open(const std::string& path, std::istream* in) {
    if (path == "-") {
      if (in == nullptr) return Status::InvalidArgument("no standard input to read '-' from");
      // The process's own standard input is read with read(2), which returns what has arrived:
      // a slow pipe is imported as it comes. Another stream (a test's) through istream.
      if (in != &std::cin) {
        return std::unique_ptr<InputReader>(new InputReader("", "<stdin>", -1, in));
      }
    }
    const std::string name =
        path == "-" ? "<stdin>" : core::QuoteForMessage(path, core::kMaxQuotedPathBytes);
    const int fd = path == "-" ? STDIN_FILENO : open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return env::ErrnoToStatus("cannot open", path, errno);
    std::unique_ptr<InputReader> reader(
        new InputReader(path == "-" ? "" : path, name, fd, nullptr));
    struct stat st;
    if (fstat(fd, &st) != 0) return reader->ErrnoError("cannot stat");
    if (S_ISDIR(st.st_mode)) return Status::InvalidArgument(name + " is a directory");
    // A named regular file is watched for changes. Standard input may be a file read from an
    // offset another process left, so it is read as a stream.
    if (S_ISREG(st.st_mode) && path != "-") reader->opened_ = st;
    return reader;
  }

  // The input's name for messages: the quoted path, or <stdin>.
  const std::string& name() const { return name_; }

  // The size of a regular file when it was opened; nullopt for anything else (a pipe, a device).
  std::optional<uint64_t> size() const {
    if (!opened_) return std::nullopt;
    return static_cast<uint64_t>(opened_->st_size);
  }

  // Reads the next bytes into `buffer` and returns how many; 0 at the end of the input.
  Result<size_t> Read(std::span<char> buffer) {
    if (in_ != nullptr) {
      in_->read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
      if (in_->bad()) return Status::IOError("reading standard input failed");
      return static_cast<size_t>(in_->gcount());
    }
    ssize_t n;
    do {
      n = read(fd_, buffer.data(), buffer.size());
    } while (n < 0 && errno == EINTR);
    if (n < 0) return ErrnoError("cannot read");
    if (opened_) DAAS_RETURN_IF_ERROR(CheckUnchanged(static_cast<size_t>(n)));
    return static_cast<size_t>(n);
  }

 private:
  InputReader(std::string path, std::string name, int fd, std::istream* in)
      : path_(std::move(path)), name_(std::move(name)), fd_(fd), in_(in) {}

  // A regular file must give exactly the bytes it had when opened. Growth shows as a read past
  // that size; a shrink as an early end, and a rewrite of the same size as a new modification
  // time at the end.
  Status CheckUnchanged(size_t n) {
    const uint64_t expected = static_cast<uint64_t>(opened_->st_size);
    read_ += n;
    if (read_ > expected) {
      return Status::Aborted(name_ + " grew from " + std::to_string(expected) +
                             " bytes while it was being imported (read up to byte " +
                             std::to_string(read_) + ")");
    }
    if (n != 0) return Status::OK();
    struct stat now;
    if (fstat(fd_, &now) != 0) return ErrnoError("cannot stat");
    if (read_ < expected) {
      return Status::Aborted(name_ + " shrank from " + std::to_string(expected) + " to " +
                             std::to_string(now.st_size) +
                             " bytes while it was being imported (the read ended at byte " +
                             std::to_string(read_) + ")");
    }
    if (now.st_size != opened_->st_size || now.st_mtim.tv_sec != opened_->st_mtim.tv_sec ||
        now.st_mtim.tv_nsec != opened_->st_mtim.tv_nsec) {
      return Status::Aborted(name_ + " was modified while it was being imported");
    }
    return Status::OK();
  }

  // What `what` (a failed call) left in errno, naming the input.
  Status ErrnoError(const char* what) const {
    if (!path_.empty()) return env::ErrnoToStatus(what, path_, errno);
    return Status::IOError(std::string(what) + " standard input: " + std::strerror(errno));
  }

  const std::string path_;  // "" for standard input
  const std::string name_;
  const int fd_;                       // -1 for standard input
  std::istream* const in_;             // standard input, or nullptr
  std::optional<struct stat> opened_;  // a regular file's state when opened
  uint64_t read_ = 0;                  // bytes read from the file so far
};

// Reads all of a small input (a JSON argument, a schema file): ResourceExhausted past `max_bytes`,
// so an endless input (/dev/zero) is refused instead of filling memory.
Result<std::string> ReadAll(const std::string& path, std::istream* in, uint64_t max_bytes,
                            std::string_view what) {
  DAAS_ASSIGN_OR_RETURN(std::unique_ptr<InputReader> input, InputReader::Open(path, in));
  std::string all;
  char chunk[1 << 16];
  for (;;) {
    DAAS_ASSIGN_OR_RETURN(size_t n, input->Read(chunk));
    if (n == 0) return all;
    if (all.size() + n > max_bytes) {
      return Status::ResourceExhausted(std::string(what) + " from " + input->name() + " is over " +
                                       std::to_string(max_bytes) + " bytes");
    }
    all.append(chunk, n);
  }
}

// The JSON argument of insert, replace and patch ("-": read it from standard input).
Result<std::string> JsonArgToDocument(const CommandArgs& args) {
  if (args.json != "-") return doc::JsonToMsgpack(args.json, args.limits);
  DAAS_ASSIGN_OR_RETURN(
      std::string json,
      ReadAll("-", args.in, doc::MaxDocumentJsonBytes(args.limits), "the JSON document"));
  return doc::JsonToMsgpack(json, args.limits);
}

Result<Collection*> GetOrCreateCollection(Database& db, const std::string& name) {
  Result<Collection*> found = db.GetCollection(name);
  if (found.ok() || found.status().code() != StatusCode::kNotFound) return found;
  Result<Collection*> created = db.CreateCollection(name);
  // Another process cannot hold the directory, but another thread of a caller might have won.
  if (!created.ok() && created.status().code() == StatusCode::kAlreadyExists) {
    return db.GetCollection(name);
  }
  return created;
}

std::string FormatSeconds(double seconds) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2f", seconds);
  return buf;
}

std::string FormatBytes(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(kUnits)) {
    value /= 1024;
    ++unit;
  }
  char buf[32];
  if (unit == 0) {
    std::snprintf(buf, sizeof(buf), "%llu B", static_cast<unsigned long long>(bytes));
  } else {
    std::snprintf(buf, sizeof(buf), "%.1f %s", value, kUnits[unit]);
  }
  return buf;
}

uint64_t PerSecond(uint64_t count, double seconds) {
  if (seconds <= 0) return 0;
  return static_cast<uint64_t>(static_cast<double>(count) / seconds + 0.5);
}

std::string Documents(uint64_t n) {
  return std::to_string(n) + (n == 1 ? " document" : " documents");
}

// The import's progress line on a terminal: redrawn in place with '\r', at most once per interval.
class ProgressLine {
 public:
  using Clock = std::chrono::steady_clock;

  ProgressLine(bool enabled, std::chrono::milliseconds interval, std::string collection,
               std::optional<uint64_t> total_bytes, std::ostream& err)
      : enabled_(enabled),
        interval_(interval),
        collection_(std::move(collection)),
        total_bytes_(total_bytes),
        err_(err),
        start_(Clock::now()),
        last_draw_(start_ - interval) {}  // draw the first document at once

  void Update(uint64_t bytes_done, uint64_t documents) {
    if (!enabled_) return;
    const Clock::time_point now = Clock::now();
    if (now - last_draw_ < interval_) return;
    last_draw_ = now;
    const double seconds = std::chrono::duration<double>(now - start_).count();
    err_ << "\rimporting into " << collection_ << ": " << FormatBytes(bytes_done);
    if (total_bytes_) {
      const uint64_t percent = *total_bytes_ == 0 ? 100 : bytes_done * 100 / *total_bytes_;
      err_ << " / " << FormatBytes(*total_bytes_) << " (" << percent << "%)";
    }
    err_ << ", " << WithThousandsSeparators(documents) << " docs, "
         << WithThousandsSeparators(PerSecond(documents, seconds)) << " docs/s\033[K" << std::flush;
    drawn_ = true;
  }

  // Erases the line, so what follows starts on a clean one.
  void Clear() {
    if (drawn_) err_ << "\r\033[K" << std::flush;
    drawn_ = false;
  }

  double ElapsedSeconds() const {
    return std::chrono::duration<double>(Clock::now() - start_).count();
  }

 private:
  const bool enabled_;
  const std::chrono::milliseconds interval_;
  const std::string collection_;
  const std::optional<uint64_t> total_bytes_;  // nullopt: a pipe, whose size is unknown
  std::ostream& err_;
  const Clock::time_point start_;
  Clock::time_point last_draw_;
  bool drawn_ = false;
};

// "document at byte 1234 (line 7)": where a document that the database refused starts.
std::string DescribePosition(doc::JsonDocumentStream::Position at) {
  return "document at byte " + std::to_string(at.offset) + " (line " + std::to_string(at.line) +
         ")";
}

// ---- the commands ----

Status Stats(Database& db, std::ostream& out) {
  struct Row {
    std::string name;
    CollectionStats stats;
  };
  std::vector<Row> rows;
  for (const std::string& name : db.ListCollections()) {
    Result<Collection*> collection = db.GetCollection(name);
    // A collection dropped or renamed between the listing and here is simply not shown.
    if (!collection.ok() && collection.status().code() == StatusCode::kNotFound) continue;
    if (!collection.ok()) return collection.status();
    DAAS_ASSIGN_OR_RETURN(CollectionStats stats, (*collection)->Stats());
    rows.push_back({name, stats});
  }
  const std::vector<std::string> header = {"collection", "documents", "document_bytes",
                                           "memory_bytes", "shards"};
  std::vector<std::vector<std::string>> cells = {header};
  for (const Row& row : rows) {
    cells.push_back({row.name, std::to_string(row.stats.documents),
                     std::to_string(row.stats.document_bytes),
                     std::to_string(row.stats.memory_bytes), std::to_string(row.stats.shards)});
  }
  std::vector<size_t> widths(header.size(), 0);
  for (const auto& line : cells) {
    for (size_t i = 0; i < line.size(); ++i) widths[i] = std::max(widths[i], line[i].size());
  }
  for (const auto& line : cells) {
    std::string text;
    for (size_t i = 0; i < line.size(); ++i) {
      // Names align left, numbers right.
      const std::string pad(widths[i] - line[i].size(), ' ');
      if (i == 0) {
        text += line[i] + pad;
      } else {
        text += "  " + pad + line[i];
      }
    }
    out << text << '\n';
  }
  DAAS_ASSIGN_OR_RETURN(DatabaseStats db_stats, db.Stats());
  out << "\nlog: " << db_stats.log_segments << " segment(s), " << db_stats.log_bytes
      << " bytes, last LSN " << db_stats.visible_lsn << " (durable " << db_stats.durable_lsn
      << ")\ncheckpoint: LSN " << db_stats.checkpoint_lsn << ", " << db_stats.checkpoint_files
      << " shard file(s), " << db_stats.checkpoint_bytes << " bytes\n";
  return Status::OK();
}

Status List(Database& db, std::ostream& out) {
  for (const std::string& name : db.ListCollections()) out << name << '\n';
  return Status::OK();
}

Status Insert(Database& db, const CommandArgs& args, std::ostream& out) {
  // Convert first: bad JSON must not leave a new, empty collection behind.
  DAAS_ASSIGN_OR_RETURN(std::string document, JsonArgToDocument(args));
  DAAS_ASSIGN_OR_RETURN(Collection * collection, GetOrCreateCollection(db, args.collection));
  DAAS_ASSIGN_OR_RETURN(DocId id, collection->Insert(document));
  out << id.ToString() << '\n';
  return Status::OK();
}

Status Get(Database& db, const CommandArgs& args, std::ostream& out) {
  DAAS_ASSIGN_OR_RETURN(DocId id, DocId::Parse(args.id));
  DAAS_ASSIGN_OR_RETURN(Collection * collection, db.GetCollection(args.collection));
  std::string document;
  DAAS_RETURN_IF_ERROR(collection->Get(id, &document));
  DAAS_ASSIGN_OR_RETURN(std::string json, DocumentToJson(document));
  out << json << '\n';
  return Status::OK();
}

Status Update(Database& db, Command command, const CommandArgs& args) {
  DAAS_ASSIGN_OR_RETURN(DocId id, DocId::Parse(args.id));
  std::string document;
  if (command != Command::kDelete) {
    DAAS_ASSIGN_OR_RETURN(document, JsonArgToDocument(args));
  }
  DAAS_ASSIGN_OR_RETURN(Collection * collection, db.GetCollection(args.collection));
  switch (command) {
    case Command::kReplace:
      return collection->Replace(id, document);
    case Command::kPatch:
      return collection->Patch(id, document);
    default:
      return collection->Delete(id);
  }
}

Status Count(Database& db, const CommandArgs& args, std::ostream& out) {
  DAAS_ASSIGN_OR_RETURN(Collection * collection, db.GetCollection(args.collection));
  DAAS_ASSIGN_OR_RETURN(uint64_t count, collection->Count());
  out << count << '\n';
  return Status::OK();
}

// An import's error, with how many documents before it were imported: part of the one error line,
// so scripts and people see it where they look.
Status ImportFailed(const Status& status, uint64_t imported, const std::string& collection_name) {
  std::string message(status.message());
  if (imported == 0) {
    message += "; nothing was imported into " + collection_name;
  } else {
    const bool one = imported == 1;
    message += "; " + Documents(imported) + " before it " + (one ? "was" : "were") +
               " imported into " + collection_name + " and stay" + (one ? "s" : "");
  }
  return Status(status.code(), message);
}

Status Export(Database& db, const CommandArgs& args, std::ostream& out) {
  DAAS_ASSIGN_OR_RETURN(Collection * collection, db.GetCollection(args.collection));
  // The output file is created (or truncated) only now: an export that cannot start leaves an
  // existing file as it was.
  std::unique_ptr<env::WritableFile> file;
  if (!args.output.empty()) {
    Result<std::unique_ptr<env::WritableFile>> created =
        env::Env::Default()->NewWritableFile(args.output);
    if (!created.ok()) return created.status().WithContext("writing the export");
    file = std::move(*created);
  }
  std::string pending;  // lines not yet written, up to kExportWriteBytes
  Status written;
  auto write_pending = [&]() -> bool {
    written = file != nullptr
                  ? file->Append(pending)
                  : WriteOutput(out, pending, /*flush=*/false, "the export to standard output");
    pending.clear();
    return written.ok();
  };
  Status scanned = collection->Scan([&](DocId id, std::string_view document) {
    if (args.with_ids) {
      // The ID alphabet is URL-safe base64: nothing in it needs JSON escaping.
      pending += R"({"id":")";
      pending += id.ToString();
      pending += R"(","document":)";
    }
    doc::MsgpackToJson(document, &pending);
    if (args.with_ids) pending += '}';
    pending += '\n';
    return pending.size() < kExportWriteBytes || write_pending();
  });
  if (written.ok() && !pending.empty()) write_pending();
  if (written.ok() && file == nullptr) {
    written = WriteOutput(out, "", /*flush=*/true, "the export to standard output");
  }
  if (file != nullptr) {
    Status closed = file->Close();
    if (written.ok()) written = closed;
  }
  if (!written.ok()) return file != nullptr ? written.WithContext("writing the export") : written;
  return scanned;
}

// Inserts every document of the input in batches of args.batch_size, each one atomic, reading the
// input in pieces of kImportReadBytes: memory holds one piece, the pending batch and the document
// being read, never the whole input. On an error every document before the failing one stays
// imported and none after it: the pending part of the current batch is committed before a parse or
// read error is reported, and a batch the database refuses is retried one document at a time to
// find the culprit. So the count printed with the error is exactly the documents that precede it.
Status Import(Database& db, const CommandArgs& args, std::ostream& out, std::ostream& err) {
  if (args.batch_size == 0 || args.batch_size > kMaxImportBatchSize) {
    return Status::InvalidArgument("--batch-size must be from 1 to " +
                                   WithThousandsSeparators(kMaxImportBatchSize));
  }
  const std::string collection_name = core::QuoteForMessage(args.collection);
  DAAS_ASSIGN_OR_RETURN(std::unique_ptr<InputReader> input, InputReader::Open(args.file, args.in));

  // Created at the first commit (or at the end, for an empty input), so an input that fails before
  // any document changes nothing.
  Collection* collection = nullptr;
  std::string arena;         // the pending batch's documents, back to back
  std::vector<size_t> ends;  // where each pending document ends in `arena`
  std::vector<doc::JsonDocumentStream::Position> positions;  // where each starts in the input
  std::vector<std::string_view> batch;
  uint64_t imported = 0;
  ProgressLine progress(args.progress, args.progress_interval, collection_name, input->size(), err);

  auto flush = [&]() -> Status {
    if (ends.empty()) return Status::OK();
    if (collection == nullptr) {
      DAAS_ASSIGN_OR_RETURN(collection, GetOrCreateCollection(db, args.collection));
    }
    try {
      batch.clear();
      for (size_t i = 0, begin = 0; i < ends.size(); begin = ends[i++]) {
        batch.push_back(std::string_view(arena).substr(begin, ends[i] - begin));
      }
    } catch (const std::bad_alloc&) {
      // Reported as a failed batch: nothing of it was committed, and it is not retried.
      return Status::ResourceExhausted("out of memory batching the documents from " +
                                       DescribePosition(positions.front()));
    }
    try {
      Result<std::vector<DocId>> ids = collection->InsertMany(batch);
      if (ids.ok()) {
        imported += batch.size();
      } else {
        for (size_t i = 0; i < batch.size(); ++i) {
          Result<DocId> id = collection->Insert(batch[i]);
          if (!id.ok()) {
            return id.status().WithContext(input->name() + ": " + DescribePosition(positions[i]));
          }
          ++imported;
        }
      }
    } catch (const std::bad_alloc&) {
      throw OutOfMemoryInDatabase{ImportFailed(
          Status::ResourceExhausted("out of memory inside the database, importing " +
                                    input->name() + " from " + DescribePosition(positions.front())),
          imported, collection_name)};
    }
    arena.clear();
    ends.clear();
    positions.clear();
    return Status::OK();
  };

  bool failed_in_flush = false;
  doc::JsonDocumentStream stream(
      args.limits, [&](std::string_view document, doc::JsonDocumentStream::Position at) {
        // In this order, so that if an append runs out of memory, every entry of `ends` still
        // has its position and its bytes.
        arena.append(document);
        positions.push_back(at);
        ends.push_back(arena.size());
        if (ends.size() >= args.batch_size) {
          Status s = flush();
          if (!s.ok()) {
            failed_in_flush = true;
            return s;
          }
        }
        progress.Update(at.offset, imported + ends.size());
        return Status::OK();
      });
  Status status;
  try {
    std::vector<char> buffer(kImportReadBytes);
    for (;;) {
      Result<size_t> n = input->Read(buffer);
      if (!n.ok()) {
        status = n.status();  // names the input already
        break;
      }
      if (*n == 0) {
        status = stream.Finish();
      } else {
        status = stream.Feed(std::string_view(buffer.data(), *n));
      }
      if (!status.ok() && !failed_in_flush) status = status.WithContext(input->name());
      if (!status.ok() || *n == 0) break;
    }
  } catch (const std::bad_alloc&) {
    status = Status::ResourceExhausted("out of memory reading " + input->name() + " at byte " +
                                       std::to_string(stream.bytes_fed()));
  }
  if (!failed_in_flush) {
    // Commit what precedes a parse or read error too, so the count below is exact.
    Status s = flush();
    if (!s.ok()) status = s;
  }
  if (status.ok() && collection == nullptr) {
    // An empty input still leaves the collection, as an import of anything does.
    Result<Collection*> created = GetOrCreateCollection(db, args.collection);
    if (!created.ok()) status = created.status();
  }
  progress.Clear();
  if (!status.ok()) return ImportFailed(status, imported, collection_name);
  const double seconds = progress.ElapsedSeconds();
  out << "imported " << Documents(imported) << " into " << collection_name << " in "
      << FormatSeconds(seconds) << " s (" << WithThousandsSeparators(PerSecond(imported, seconds))
      << " docs/s)\n";
  return Status::OK();
}

}  // namespace

std::string_view CommandName(Command command) {
  switch (command) {
    case Command::kStats:
      return "stats";
    case Command::kList:
      return "list";
    case Command::kCreate:
      return "create";
    case Command::kDrop:
      return "drop";
    case Command::kRename:
      return "rename";
    case Command::kCount:
      return "count";
    case Command::kInsert:
      return "insert";
    case Command::kGet:
      return "get";
    case Command::kReplace:
      return "replace";
    case Command::kPatch:
      return "patch";
    case Command::kDelete:
      return "delete";
    case Command::kImport:
      return "import";
    case Command::kExport:
      return "export";
    case Command::kCheck:
      return "check";
    case Command::kBackup:
      return "backup";
    case Command::kRestore:
      return "restore";
    case Command::kCompact:
      return "compact";
    case Command::kSchema:
      return "schema";
    case Command::kTypes:
      return "types";
  }
  return "?";
}

bool CommandCreatesDatabase(Command command, const CommandArgs& args) {
  return command == Command::kInsert || command == Command::kImport ||
         command == Command::kCreate || (command == Command::kSchema && !args.file.empty());
}

namespace {

// `daas schema FILE`: applies the file (Database::ApplySchemaFile: all or nothing). Without FILE:
// prints the schemas as a schema file.
Status SchemaCommand(Database& db, const CommandArgs& args, std::ostream& out) {
  if (args.file.empty()) {
    DAAS_ASSIGN_OR_RETURN(std::string file, db.GetSchemaFile());
    out << file << '\n';
    return Status::OK();
  }
  DAAS_ASSIGN_OR_RETURN(std::string text,
                        ReadAll(args.file, args.in, kMaxSchemaFileBytes, "the schema file"));
  const std::string source =
      args.file == "-" ? "<stdin>" : core::QuoteForMessage(args.file, core::kMaxQuotedPathBytes);
  Result<schema::Schema> file = schema::ParseSchemaFile(text);
  if (!file.ok()) return file.status().WithContext(source);
  std::vector<std::string> changed;
  DAAS_RETURN_IF_ERROR(db.ApplySchemaFile(text, &changed));
  for (const schema::CollectionSchema& c : file->collections) {
    const bool was_changed = std::find(changed.begin(), changed.end(), c.name) != changed.end();
    out << c.name << (was_changed ? ": schema version " : ": unchanged (version ") << c.version
        << (was_changed ? " applied\n" : ")\n");
  }
  return Status::OK();
}

}  // namespace

Status RunCommand(Command command, Database& db, const CommandArgs& args, std::ostream& out,
                  std::ostream& err) {
  switch (command) {
    case Command::kStats:
      return Stats(db, out);
    case Command::kList:
      return List(db, out);
    case Command::kCreate:
      return db.CreateCollection(args.collection).status();
    case Command::kDrop:
      return db.DropCollection(args.collection);
    case Command::kRename:
      return db.RenameCollection(args.collection, args.target);
    case Command::kCount:
      return Count(db, args, out);
    case Command::kInsert:
      return Insert(db, args, out);
    case Command::kGet:
      return Get(db, args, out);
    case Command::kReplace:
    case Command::kPatch:
    case Command::kDelete:
      return Update(db, command, args);
    case Command::kImport:
      return Import(db, args, out, err);
    case Command::kExport:
      return Export(db, args, out);
    case Command::kBackup: {
      DAAS_RETURN_IF_ERROR(db.Backup(args.target));
      out << "backed up into " << core::QuoteForMessage(args.target, core::kMaxQuotedPathBytes)
          << "\n";
      return Status::OK();
    }
    case Command::kCompact: {
      auto disk = [&db]() -> Result<uint64_t> {
        DAAS_ASSIGN_OR_RETURN(DatabaseStats st, db.Stats());
        return st.checkpoint_bytes + st.log_bytes;
      };
      DAAS_ASSIGN_OR_RETURN(uint64_t before, disk());
      DAAS_RETURN_IF_ERROR(db.Compact());
      DAAS_ASSIGN_OR_RETURN(uint64_t after, disk());
      out << "compacted: shard files and log " << before << " -> " << after << " bytes\n";
      return Status::OK();
    }
    case Command::kSchema:
      return SchemaCommand(db, args, out);
    case Command::kTypes: {
      DAAS_ASSIGN_OR_RETURN(std::string types, db.TypeScript());
      out << types;
      return Status::OK();
    }
    case Command::kCheck:
    case Command::kRestore:
      return Status::Internal("this command runs on the files, without an open database");
  }
  return Status::Internal("unknown command");
}

Status CheckCommand(const std::string& dir, std::ostream& out) {
  Result<CheckReport> r = CheckDatabase(dir);
  if (!r.ok()) return r.status();
  out << "collections      " << r->collections << "\n"
      << "shards           " << r->shards << " (" << r->shard_files << " with a checkpoint file)\n"
      << "checkpointed     " << Documents(r->checkpoint_documents) << "\n"
      << "log              " << r->log_segments << " segments, " << r->log_records << " records, "
      << r->log_bytes << " bytes, last LSN " << r->last_lsn << "\n";
  if (!r->torn_tail.empty()) out << "note             " << r->torn_tail << "\n";
  if (r->ok()) {
    out << "ok: every checksum and record is valid\n";
    return Status::OK();
  }
  std::string all;
  for (const std::string& p : r->problems) {
    out << "problem          " << p << "\n";
    all += (all.empty() ? "" : "; ") + p;
  }
  return Status::Corruption(std::to_string(r->problems.size()) + " problem(s): " + all);
}

void PrintError(const Status& status, std::ostream& err) {
  // Messages echo names and paths as typed; whatever they hold, the error stays one line.
  err << "daas: error: " << StatusCodeName(status.code()) << " ("
      << static_cast<int32_t>(status.code()) << "): " << core::EscapeForOneLine(status.message())
      << '\n';
}

std::string WithThousandsSeparators(uint64_t value) {
  std::string digits = std::to_string(value);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

}  // namespace daas::cli
