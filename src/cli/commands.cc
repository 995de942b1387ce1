#include "cli/commands.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <istream>
#include <iterator>
#include <ostream>
#include <utility>
#include <vector>

#include "core/status_macros.h"
#include "doc/json.h"
#include "engine/backup.h"
#include "env/env.h"
#include "schema/schema.h"
#include "schema/typescript.h"

namespace daas::cli {
namespace {

Status ErrnoStatus(std::string_view what, const std::string& path, int error) {
  const StatusCode code = error == ENOENT ? StatusCode::kNotFound : StatusCode::kIOError;
  return Status(code, std::string(what) + " '" + path + "': " + std::strerror(error));
}

// The bytes of an import's input: a read-only mapping of a regular file (no copy, and the page
// cache serves it), or a buffer holding what was read from a pipe or terminal. Move-only.
class InputBuffer {
 public:
  InputBuffer() = default;
  InputBuffer(const InputBuffer&) = delete;
  InputBuffer& operator=(const InputBuffer&) = delete;
  InputBuffer(InputBuffer&& other) noexcept
      : mapping_(std::exchange(other.mapping_, nullptr)),
        mapping_size_(std::exchange(other.mapping_size_, 0)),
        buffer_(std::move(other.buffer_)) {}
  InputBuffer& operator=(InputBuffer&&) = delete;
  ~InputBuffer() {
    if (mapping_ != nullptr) munmap(mapping_, mapping_size_);
  }

  // "-" reads all of `in`; anything else is a path.
  static Result<InputBuffer> Read(const std::string& path, std::istream* in) {
    InputBuffer input;
    if (path == "-") {
      if (in == nullptr) return Status::InvalidArgument("no standard input to read '-' from");
      input.buffer_.assign(std::istreambuf_iterator<char>(*in), std::istreambuf_iterator<char>());
      if (in->bad()) return Status::IOError("reading standard input failed");
      return input;
    }
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus("cannot open", path, errno);
    Status status = input.ReadFd(fd, path);
    close(fd);
    if (!status.ok()) return status;
    return input;
  }

  std::string_view bytes() const {
    if (mapping_ != nullptr) return {static_cast<const char*>(mapping_), mapping_size_};
    return buffer_;
  }

 private:
  Status ReadFd(int fd, const std::string& path) {
    struct stat st;
    if (fstat(fd, &st) != 0) return ErrnoStatus("cannot stat", path, errno);
    if (S_ISDIR(st.st_mode)) return Status::InvalidArgument("'" + path + "' is a directory");
    if (S_ISREG(st.st_mode) && st.st_size > 0) {
      void* p = mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
      if (p != MAP_FAILED) {
        madvise(p, static_cast<size_t>(st.st_size), MADV_SEQUENTIAL);
        mapping_ = p;
        mapping_size_ = static_cast<size_t>(st.st_size);
        return Status::OK();
      }
      // Some filesystems cannot map; reading works everywhere.
    }
    char chunk[1 << 16];
    for (;;) {
      const ssize_t n = read(fd, chunk, sizeof(chunk));
      if (n == 0) return Status::OK();
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus("cannot read", path, errno);
      }
      buffer_.append(chunk, static_cast<size_t>(n));
    }
  }

  void* mapping_ = nullptr;
  size_t mapping_size_ = 0;
  std::string buffer_;
};

// The JSON argument of insert, replace and patch ("-": read it from standard input).
Result<std::string> JsonArgToDocument(const CommandArgs& args) {
  if (args.json != "-") return doc::JsonToMsgpack(args.json, args.limits);
  DAAS_ASSIGN_OR_RETURN(InputBuffer input, InputBuffer::Read("-", args.in));
  return doc::JsonToMsgpack(input.bytes(), args.limits);
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
               uint64_t total_bytes, std::ostream& err)
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
    const uint64_t percent = total_bytes_ == 0 ? 100 : bytes_done * 100 / total_bytes_;
    err_ << "\rimporting into '" << collection_ << "': " << FormatBytes(bytes_done) << " / "
         << FormatBytes(total_bytes_) << " (" << percent << "%), "
         << WithThousandsSeparators(documents) << " docs, "
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
  const uint64_t total_bytes_;
  std::ostream& err_;
  const Clock::time_point start_;
  Clock::time_point last_draw_;
  bool drawn_ = false;
};

// "document at byte 1234 (line 7)": where a document that the database refused starts.
std::string DescribeOffset(std::string_view input, size_t offset) {
  const size_t line = 1 + static_cast<size_t>(std::count(
                              input.begin(), input.begin() + std::min(offset, input.size()), '\n'));
  return "document at byte " + std::to_string(offset) + " (line " + std::to_string(line) + ")";
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

Status Export(Database& db, const CommandArgs& args, std::ostream& out) {
  DAAS_ASSIGN_OR_RETURN(Collection * collection, db.GetCollection(args.collection));
  std::string line;
  DAAS_RETURN_IF_ERROR(collection->Scan([&](DocId id, std::string_view document) {
    line.clear();
    if (args.with_ids) {
      // The ID alphabet is URL-safe base64: nothing in it needs JSON escaping.
      line += R"({"id":")";
      line += id.ToString();
      line += R"(","document":)";
    }
    doc::MsgpackToJson(document, &line);
    if (args.with_ids) line += '}';
    line += '\n';
    out.write(line.data(), static_cast<std::streamsize>(line.size()));
    return out.good();
  }));
  out.flush();
  if (!out.good()) return Status::IOError("writing the export failed");
  return Status::OK();
}

// Inserts every document of the input in batches of args.batch_size, each one atomic. On an error
// every document before the failing one stays imported and none after it: the pending part of the
// current batch is committed before a parse error is reported, and a batch the database refuses is
// retried one document at a time to find the culprit. So the count printed with the error is
// exactly the documents that precede it in the input.
Status Import(Database& db, const CommandArgs& args, std::ostream& out, std::ostream& err) {
  if (args.batch_size == 0) return Status::InvalidArgument("--batch-size must be at least 1");
  const std::string source = args.file == "-" ? "<stdin>" : args.file;
  DAAS_ASSIGN_OR_RETURN(InputBuffer input, InputBuffer::Read(args.file, args.in));
  const std::string_view bytes = input.bytes();

  // Created at the first commit (or at the end, for an empty input), so an input that fails before
  // any document changes nothing.
  Collection* collection = nullptr;
  std::string arena;            // the pending batch's documents, back to back
  std::vector<size_t> ends;     // where each pending document ends in `arena`
  std::vector<size_t> offsets;  // where each pending document starts in the input
  std::vector<std::string_view> batch;
  uint64_t imported = 0;
  ProgressLine progress(args.progress, args.progress_interval, args.collection, bytes.size(), err);

  auto flush = [&]() -> Status {
    if (ends.empty()) return Status::OK();
    if (collection == nullptr) {
      DAAS_ASSIGN_OR_RETURN(collection, GetOrCreateCollection(db, args.collection));
    }
    batch.clear();
    for (size_t i = 0, begin = 0; i < ends.size(); begin = ends[i++]) {
      batch.push_back(std::string_view(arena).substr(begin, ends[i] - begin));
    }
    Result<std::vector<DocId>> ids = collection->InsertMany(batch);
    if (ids.ok()) {
      imported += batch.size();
    } else {
      for (size_t i = 0; i < batch.size(); ++i) {
        Result<DocId> id = collection->Insert(batch[i]);
        if (!id.ok()) {
          return id.status().WithContext(source + ": " + DescribeOffset(bytes, offsets[i]));
        }
        ++imported;
      }
    }
    arena.clear();
    ends.clear();
    offsets.clear();
    return Status::OK();
  };

  bool failed_in_flush = false;
  auto add = [&](std::string_view document, size_t offset) -> Status {
    arena.append(document);
    ends.push_back(arena.size());
    offsets.push_back(offset);
    if (ends.size() >= args.batch_size) {
      Status s = flush();
      if (!s.ok()) {
        failed_in_flush = true;
        return s;
      }
    }
    progress.Update(offset, imported + ends.size());
    return Status::OK();
  };
  Status status = doc::ForEachJsonDocument(bytes, args.limits, add);
  if (!status.ok() && !failed_in_flush) status = status.WithContext(source);
  if (!failed_in_flush) {
    // Commit what precedes a parse error too, so the count below is exact.
    Status s = flush();
    if (!s.ok()) status = s;
  }
  if (status.ok() && collection == nullptr) {
    // An empty input still leaves the collection, as an import of anything does.
    Result<Collection*> created = GetOrCreateCollection(db, args.collection);
    if (!created.ok()) status = created.status();
  }
  progress.Clear();
  if (!status.ok()) {
    // Part of the one error line, so scripts and people see it where they look.
    const bool one = imported == 1;
    return Status(status.code(), std::string(status.message()) + "; " + Documents(imported) +
                                     " before it " + (one ? "was" : "were") + " imported into '" +
                                     args.collection + "' and stay" + (one ? "s" : ""));
  }
  const double seconds = progress.ElapsedSeconds();
  out << "imported " << Documents(imported) << " into '" << args.collection << "' in "
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

bool CommandCreatesDatabase(Command command) {
  return command == Command::kInsert || command == Command::kImport ||
         command == Command::kCreate || command == Command::kSchema;
}

namespace {

// Every collection's schema, parsed (collections without one are left out).
Result<schema::Schema> CurrentSchemas(Database& db) {
  const std::vector<std::string> names = db.ListCollections();
  schema::Schema all;
  for (const std::string& name : names) {
    DAAS_ASSIGN_OR_RETURN(Collection * c, db.GetCollection(name));
    std::string json;
    DAAS_RETURN_IF_ERROR(c->GetSchema(&json));
    if (json.empty()) continue;
    DAAS_ASSIGN_OR_RETURN(schema::CollectionSchema parsed,
                          schema::ParseCollectionSchema(name, json, names));
    all.collections.push_back(std::move(parsed));
  }
  return all;
}

// `daas schema FILE`: creates the file's collections that are missing, then sets each schema.
// Without FILE: prints the schemas as a schema file.
Status SchemaCommand(Database& db, const CommandArgs& args, std::ostream& out) {
  if (args.file.empty()) {
    DAAS_ASSIGN_OR_RETURN(schema::Schema all, CurrentSchemas(db));
    out << schema::SerializeSchema(all) << '\n';
    return Status::OK();
  }
  DAAS_ASSIGN_OR_RETURN(InputBuffer input, InputBuffer::Read(args.file, args.in));
  const std::string source = args.file == "-" ? "<stdin>" : args.file;
  Result<schema::Schema> file = schema::ParseSchemaFile(input.bytes());
  if (!file.ok()) return file.status().WithContext(source);
  for (const schema::CollectionSchema& c : file->collections) {
    if (!db.GetCollection(c.name).ok()) DAAS_RETURN_IF_ERROR(db.CreateCollection(c.name).status());
  }
  for (const schema::CollectionSchema& c : file->collections) {
    DAAS_ASSIGN_OR_RETURN(Collection * coll, db.GetCollection(c.name));
    const std::string json = schema::SerializeCollection(c);
    std::string current;
    DAAS_RETURN_IF_ERROR(coll->GetSchema(&current));
    if (current == json) {
      out << c.name << ": unchanged (version " << c.version << ")\n";
      continue;
    }
    DAAS_RETURN_IF_ERROR(coll->SetSchema(json));
    out << c.name << ": schema version " << c.version << " applied\n";
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
      out << "backed up into '" << args.target << "'\n";
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
      DAAS_ASSIGN_OR_RETURN(schema::Schema all, CurrentSchemas(db));
      out << schema::GenerateTypeScript(all);
      return Status::OK();
    }
    case Command::kCheck:
    case Command::kRestore:
      return Status::Internal("this command runs on the files, without an open database");
  }
  return Status::Internal("unknown command");
}

Status CheckCommand(const std::string& dir, std::ostream& out) {
  Result<storage::CheckReport> r = engine::CheckDatabase(env::Env::Default(), dir);
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
  err << "daas: error: " << StatusCodeName(status.code()) << " ("
      << static_cast<int32_t>(status.code()) << "): " << status.message() << '\n';
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
