// The C ABI of include/daas/daas.h, on the public C++ API (daas.hpp) only.
//
// Invariant: no C++ exception and no failing daas::Status crosses this boundary. Every entry point
// runs its body through Guard(), which clears the thread's last error, turns a non-OK Status into
// its code plus a recorded message, and turns any escaped exception into DAAS_INTERNAL. Out of
// memory is fatal (STYLE.md §4): std::bad_alloc aborts the process with a message on stderr.
#include "daas/daas.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "daas/daas.hpp"

// Handles. daas_collection is never defined: a daas_collection* is a daas::Collection*, which the
// Database owns and keeps valid until it is destroyed, exactly the lifetime daas.h promises.
struct daas_db {
  std::unique_ptr<daas::Database> db;
};

struct daas_batch {
  daas::WriteBatch batch;
};

struct daas_txn {
  std::unique_ptr<daas::Transaction> txn;
};

struct daas_cursor {
  std::unique_ptr<daas::Cursor> cursor;
  // A document fetched by daas_cursor_next_into that did not fit: handed out by the next call.
  bool held = false;
  daas::DocId held_id;
  std::string_view held_doc;
};

struct daas_feed {
  std::unique_ptr<daas::ChangeFeed> feed;
  std::vector<daas::ChangeEvent> events;  // fetched; events[next] is the next one handed out
  size_t next = 0;
  uint64_t position = 0;  // of the last commit whose every event was handed out
};

namespace {

using daas::Status;
using daas::StatusCode;

// daas.h repeats the StatusCode numbers so it stays plain C; they must never drift apart.
#define DAAS_CHECK_CODE(c_name, cxx_name) \
  static_assert(c_name == static_cast<int>(StatusCode::cxx_name), #c_name " drifted")
DAAS_CHECK_CODE(DAAS_OK, kOk);
DAAS_CHECK_CODE(DAAS_INVALID_ARGUMENT, kInvalidArgument);
DAAS_CHECK_CODE(DAAS_NOT_FOUND, kNotFound);
DAAS_CHECK_CODE(DAAS_ALREADY_EXISTS, kAlreadyExists);
DAAS_CHECK_CODE(DAAS_CONFLICT, kConflict);
DAAS_CHECK_CODE(DAAS_SCHEMA_VIOLATION, kSchemaViolation);
DAAS_CHECK_CODE(DAAS_UNAUTHENTICATED, kUnauthenticated);
DAAS_CHECK_CODE(DAAS_PERMISSION_DENIED, kPermissionDenied);
DAAS_CHECK_CODE(DAAS_RESOURCE_EXHAUSTED, kResourceExhausted);
DAAS_CHECK_CODE(DAAS_BUSY, kBusy);
DAAS_CHECK_CODE(DAAS_ABORTED, kAborted);
DAAS_CHECK_CODE(DAAS_CORRUPTION, kCorruption);
DAAS_CHECK_CODE(DAAS_IO_ERROR, kIOError);
DAAS_CHECK_CODE(DAAS_NOT_SUPPORTED, kNotSupported);
DAAS_CHECK_CODE(DAAS_INTERNAL, kInternal);
#undef DAAS_CHECK_CODE

static_assert(sizeof(daas_id) == daas::DocId::kBinarySize);
static_assert(DAAS_ID_TEXT_LEN == daas::DocId::kTextSize);

// The size of the first released daas_options; daas_options_init refuses anything smaller. Fixed
// forever: later fields go after max_key_bytes and must not change this number.
constexpr size_t kOptionsV1Size = offsetof(daas_options, max_key_bytes) + sizeof(uint32_t);
// A struct_size above this is garbage (an uninitialized struct), not a future version: refused
// rather than read or written.
constexpr size_t kOptionsMaxSize = 4096;

// ---- the thread's last error ----

struct LastError {
  int code = DAAS_OK;
  std::string message;  // "" when code is DAAS_OK
  std::string detail;   // Status::detail(); "" when it has none
};

LastError& ThreadError() {
  thread_local LastError error;
  return error;
}

void ClearError() {
  LastError& e = ThreadError();
  e.code = DAAS_OK;
  e.message.clear();  // keeps the capacity: no allocation on the success path
  e.detail.clear();
}

int SetError(StatusCode code, std::string_view message) {
  LastError& e = ThreadError();
  e.code = static_cast<int>(code);
  e.message.assign(message);
  return e.code;
}

int SetError(const Status& s) {
  if (s.ok()) return DAAS_OK;
  SetError(s.code(), s.message());
  ThreadError().detail.assign(s.detail());
  return static_cast<int>(s.code());
}

[[noreturn]] void OutOfMemory() {
  std::fputs("daas: out of memory\n", stderr);
  std::abort();
}

// Runs an entry point's body: a callable returning int (a DAAS_* code, with the error already
// recorded) or daas::Status (recorded here).
template <typename Body>
int Guard(Body&& body) noexcept {
  try {
    ClearError();
    if constexpr (std::is_same_v<decltype(body()), Status>) {
      return SetError(body());
    } else {
      return body();
    }
  } catch (const std::bad_alloc&) {
    OutOfMemory();
  } catch (const std::exception& e) {
    try {
      return SetError(StatusCode::kInternal, std::string("uncaught exception: ") + e.what());
    } catch (...) {
      OutOfMemory();  // only allocation can fail here
    }
  } catch (...) {
    try {
      return SetError(StatusCode::kInternal, "uncaught exception of unknown type");
    } catch (...) {
      OutOfMemory();
    }
  }
}

// Frees a handle the C ABI gave out (batch, transaction, cursor, feed); null is a no-op.
// Destroying one cannot fail (a transaction's rolls it back); the Guard only keeps the promise
// that the last error is cleared.
template <typename Handle>
void FreeHandle(Handle* handle) {
  Guard([&]() -> Status {
    std::unique_ptr<Handle> owned(handle);
    return Status::OK();
  });
}

#define CAPI_RETURN_IF_ERROR(expr)               \
  do {                                           \
    ::daas::Status capi_status_ = (expr);        \
    if (!capi_status_.ok()) return capi_status_; \
  } while (0)

Status NullArg(const char* name) { return Status::InvalidArgument(std::string(name) + " is NULL"); }

// ---- argument conversion ----

// Pointer + length -> view. NULL is the empty string only with length 0.
Status Bytes(const void* p, size_t len, const char* name, std::string_view* out) {
  if (p == nullptr) {
    if (len != 0) {
      return Status::InvalidArgument(std::string(name) + " is NULL but its length is " +
                                     std::to_string(len));
    }
    *out = std::string_view();
    return Status::OK();
  }
  *out = std::string_view(static_cast<const char*>(p), len);
  return Status::OK();
}

Status ToDocId(const daas_id* id, const char* name, daas::DocId* out) {
  if (id == nullptr) return NullArg(name);
  auto r = daas::DocId::FromBinary(std::span<const uint8_t>(id->bytes, sizeof(id->bytes)));
  if (!r.ok()) return r.status().WithContext(name);
  *out = *r;
  return Status::OK();
}

void FromDocId(daas::DocId id, daas_id* out) {
  const auto bin = id.ToBinary();
  std::memcpy(out->bytes, bin.data(), bin.size());
}

// A DAAS_SYNC_* value as a mode; DAAS_SYNC_DEFAULT is none (the caller's default applies).
Status SyncModeArg(uint32_t value, const char* name, std::optional<daas::SyncMode>* out) {
  switch (value) {
    case DAAS_SYNC_DEFAULT:
      *out = std::nullopt;
      return Status::OK();
    case DAAS_SYNC_FULL:
      *out = daas::SyncMode::kFull;
      return Status::OK();
    case DAAS_SYNC_NORMAL:
      *out = daas::SyncMode::kNormal;
      return Status::OK();
    case DAAS_SYNC_OFF:
      *out = daas::SyncMode::kOff;
      return Status::OK();
  }
  return Status::InvalidArgument(std::string(name) + " is " + std::to_string(value) +
                                 ", not a DAAS_SYNC_* mode");
}

daas::Collection* AsCollection(daas_collection* c) {
  return reinterpret_cast<daas::Collection*>(c);
}
daas_collection* AsHandle(daas::Collection* c) { return reinterpret_cast<daas_collection*>(c); }

// ---- the buffer protocol ----

// Checks (buf, cap, len) and zeroes *len, so every error but "too small" leaves *len == 0.
Status CheckOutput(const void* buf, size_t cap, size_t* len, const char* buf_name) {
  if (len == nullptr) return NullArg("len");
  *len = 0;
  if (buf == nullptr && cap != 0) {
    return Status::InvalidArgument(std::string(buf_name) + " is NULL but cap is " +
                                   std::to_string(cap));
  }
  return Status::OK();
}

// Copies `bytes` to buf, plus a NUL when `nul`, and sets *len to bytes.size(); or, when cap is too
// small, sets *len to the buffer size needed, the NUL included, so that *len > cap always.
Status CopyOut(std::string_view bytes, bool nul, void* buf, size_t cap, size_t* len) {
  const size_t need = bytes.size() + (nul ? 1 : 0);
  if (cap < need) {
    *len = need;
    return Status::ResourceExhausted("output buffer too small: need " + std::to_string(need) +
                                     " bytes, have " + std::to_string(cap));
  }
  *len = bytes.size();
  auto* out = static_cast<char*>(buf);
  if (!bytes.empty()) std::memcpy(out, bytes.data(), bytes.size());
  if (nul) out[bytes.size()] = '\0';
  return Status::OK();
}

daas::Result<std::string> JsonArg(const char* json, size_t len) {
  std::string_view text;
  if (Status s = Bytes(json, len, "json", &text); !s.ok()) return s;
  return daas::JsonToDocument(text, daas::kCeilingDocumentLimits);
}

// Body of get / get_json.
Status GetInto(daas_collection* coll, const daas_id* id, void* buf, size_t cap, size_t* len,
               bool json) {
  CAPI_RETURN_IF_ERROR(CheckOutput(buf, cap, len, "buf"));
  if (coll == nullptr) return NullArg("coll");
  daas::DocId doc_id;
  CAPI_RETURN_IF_ERROR(ToDocId(id, "id", &doc_id));
  if (!json) {
    // Straight from the shard into the caller's buffer: one copy, under the shard's read lock.
    Status copied;
    CAPI_RETURN_IF_ERROR(AsCollection(coll)->Read(
        doc_id, [&](std::string_view bytes) { copied = CopyOut(bytes, false, buf, cap, len); }));
    return copied;
  }
  // Converting to JSON costs more than a copy: do it after the lock is released.
  std::string bytes;
  CAPI_RETURN_IF_ERROR(AsCollection(coll)->Get(doc_id, &bytes));
  auto text = daas::DocumentToJson(bytes);
  if (!text.ok()) return text.status();
  return CopyOut(*text, true, buf, cap, len);
}

// A document argument, as bytes or JSON text; *storage keeps converted JSON.
Status DocumentArg(const void* data, size_t len, bool json, const char* name, std::string* storage,
                   std::string_view* doc) {
  if (!json) return Bytes(data, len, name, doc);
  auto converted = JsonArg(static_cast<const char*>(data), len);
  if (!converted.ok()) return converted.status();
  *storage = std::move(*converted);
  *doc = *storage;
  return Status::OK();
}

// Body of insert / insert_json.
Status Insert(daas_collection* coll, std::string_view doc, daas_id* out_id) {
  auto id = AsCollection(coll)->Insert(doc);
  if (!id.ok()) return id.status();
  FromDocId(*id, out_id);
  return Status::OK();
}

enum class WriteKind { kReplace, kPatch };

Status WriteById(WriteKind kind, daas_collection* coll, daas::DocId id, std::string_view doc,
                 std::optional<uint64_t> if_version) {
  daas::Collection* c = AsCollection(coll);
  if (if_version) {
    return kind == WriteKind::kReplace ? c->ReplaceIf(id, *if_version, doc)
                                       : c->PatchIf(id, *if_version, doc);
  }
  return kind == WriteKind::kReplace ? c->Replace(id, doc) : c->Patch(id, doc);
}

// Body of replace / patch, their _json variants and their conditional forms.
Status WriteOne(WriteKind kind, daas_collection* coll, const daas_id* id, const void* data,
                size_t len, bool json, std::optional<uint64_t> if_version = std::nullopt) {
  if (coll == nullptr) return NullArg("coll");
  daas::DocId doc_id;
  CAPI_RETURN_IF_ERROR(ToDocId(id, "id", &doc_id));
  std::string storage;
  std::string_view doc;
  CAPI_RETURN_IF_ERROR(
      DocumentArg(data, len, json, kind == WriteKind::kReplace ? "doc" : "patch", &storage, &doc));
  return WriteById(kind, coll, doc_id, doc, if_version);
}

// Body of the batch appends. `id` is ignored for inserts; `data` is unused for deletes.
Status BatchAppend(daas_batch* batch, daas::WriteBatch::OpType type, daas_collection* coll,
                   const daas_id* id, const void* data, size_t len, bool json) {
  using OpType = daas::WriteBatch::OpType;
  if (batch == nullptr) return NullArg("batch");
  if (coll == nullptr) return NullArg("coll");
  daas::DocId doc_id;
  if (type != OpType::kInsert) CAPI_RETURN_IF_ERROR(ToDocId(id, "id", &doc_id));
  std::string converted;
  std::string_view doc;
  if (type != OpType::kDelete) {
    CAPI_RETURN_IF_ERROR(
        DocumentArg(data, len, json, type == OpType::kPatch ? "patch" : "doc", &converted, &doc));
  }
  daas::Collection* c = AsCollection(coll);
  switch (type) {
    case OpType::kInsert:
      batch->batch.Insert(c, doc);
      break;
    case OpType::kReplace:
      batch->batch.Replace(c, doc_id, doc);
      break;
    case OpType::kPatch:
      batch->batch.Patch(c, doc_id, doc);
      break;
    case OpType::kDelete:
      batch->batch.Delete(c, doc_id);
      break;
  }
  return Status::OK();
}

}  // namespace

// ==== errors ====

extern "C" int daas_last_error_code(void) { return ThreadError().code; }

extern "C" const char* daas_last_error_message(void) { return ThreadError().message.c_str(); }

extern "C" const char* daas_last_error_detail(void) { return ThreadError().detail.c_str(); }

extern "C" const char* daas_status_name(int code) {
  if (code < DAAS_OK || code > DAAS_INTERNAL) return "unknown";
  return daas::StatusCodeName(static_cast<StatusCode>(code));
}

// ==== ids ====

extern "C" int daas_id_to_string(const daas_id* id, char out[20]) {
  return Guard([&]() -> Status {
    if (out == nullptr) return NullArg("out");
    daas::DocId doc_id;
    CAPI_RETURN_IF_ERROR(ToDocId(id, "id", &doc_id));
    const std::string text = doc_id.ToString();
    std::memcpy(out, text.data(), DAAS_ID_TEXT_LEN);
    out[DAAS_ID_TEXT_LEN] = '\0';
    return Status::OK();
  });
}

extern "C" int daas_id_parse(const char* text, size_t len, daas_id* out) {
  return Guard([&]() -> Status {
    if (out == nullptr) return NullArg("out");
    std::string_view view;
    CAPI_RETURN_IF_ERROR(Bytes(text, len, "text", &view));
    auto id = daas::DocId::Parse(view);
    if (!id.ok()) return id.status();
    if (id->is_null()) return Status::InvalidArgument("text is the null document ID");
    FromDocId(*id, out);
    return Status::OK();
  });
}

// ==== options and databases ====

extern "C" int daas_options_init(daas_options* opts, size_t struct_size) {
  return Guard([&]() -> Status {
    if (opts == nullptr) return NullArg("opts");
    if (struct_size > kOptionsMaxSize) {
      return Status::InvalidArgument("struct_size " + std::to_string(struct_size) +
                                     " is implausibly large; pass sizeof(daas_options)");
    }
    if (struct_size < kOptionsV1Size) {
      return Status::InvalidArgument("struct_size " + std::to_string(struct_size) +
                                     " is smaller than the first daas_options (" +
                                     std::to_string(kOptionsV1Size) + " bytes)");
    }
    // Zero the caller's whole struct, fields newer than this library included: a field's zero
    // value always means its default, so daas_db_open accepts them.
    std::memset(static_cast<void*>(opts), 0, struct_size);
    opts->struct_size = struct_size;
    opts->dir = nullptr;
    opts->dir_len = 0;
    opts->create_if_missing = 1;
    const daas::DocumentLimits defaults;
    opts->max_document_bytes = defaults.max_size_bytes;
    opts->max_document_depth = defaults.max_depth;
    opts->max_key_bytes = defaults.max_key_bytes;
    return Status::OK();
  });
}

extern "C" int daas_db_open(const daas_options* opts, daas_db** out) {
  return Guard([&]() -> Status {
    if (out == nullptr) return NullArg("out");
    *out = nullptr;
    if (opts == nullptr) return NullArg("opts");
    const size_t size = opts->struct_size;
    if (size < kOptionsV1Size || size > kOptionsMaxSize) {
      return Status::InvalidArgument("opts->struct_size is " + std::to_string(size) +
                                     "; call daas_options_init(opts, sizeof(daas_options))");
    }
    if (size > sizeof(daas_options)) {
      // A newer header: fine as long as every field this library does not know is left at zero,
      // its default.
      const auto* tail = reinterpret_cast<const unsigned char*>(opts) + sizeof(daas_options);
      for (size_t i = 0; i < size - sizeof(daas_options); ++i) {
        if (tail[i] != 0) {
          return Status::NotSupported("opts sets a field at byte " +
                                      std::to_string(sizeof(daas_options) + i) +
                                      " that this version of libdaas does not know");
        }
      }
    }
    daas::Options options;
    std::string_view dir;
    CAPI_RETURN_IF_ERROR(Bytes(opts->dir, opts->dir_len, "opts->dir", &dir));
    if (dir.find('\0') != std::string_view::npos) {
      return Status::InvalidArgument("opts->dir contains a NUL byte");
    }
    options.dir = std::string(dir);
    options.create_if_missing = opts->create_if_missing != 0;
    if (opts->max_document_bytes != 0) options.limits.max_size_bytes = opts->max_document_bytes;
    if (opts->max_document_depth != 0) options.limits.max_depth = opts->max_document_depth;
    if (opts->max_key_bytes != 0) options.limits.max_key_bytes = opts->max_key_bytes;
    if (size >= offsetof(daas_options, sync_interval_ms) + sizeof(uint32_t)) {
      std::optional<daas::SyncMode> mode;
      CAPI_RETURN_IF_ERROR(SyncModeArg(opts->sync_mode, "opts->sync_mode", &mode));
      if (mode) options.sync = *mode;
      if (opts->sync_interval_ms != 0) options.sync_interval_ms = opts->sync_interval_ms;
    }
    auto db = daas::Database::Open(options);
    if (!db.ok()) return db.status();
    auto handle = std::make_unique<daas_db>();
    handle->db = std::move(*db);
    *out = handle.release();
    return Status::OK();
  });
}

extern "C" int daas_db_close(daas_db* db) {
  return Guard([&]() -> Status {
    if (db == nullptr) return Status::OK();
    std::unique_ptr<daas_db> owned(db);
    return owned->db->Close();
  });
}

extern "C" int daas_db_checkpoint(daas_db* db) {
  return Guard([&]() -> Status {
    if (db == nullptr) return NullArg("db");
    return db->db->Checkpoint();
  });
}

// ==== collections ====

namespace {

// Body of create / get collection.
Status CollectionHandle(bool create, daas_db* db, const char* name, size_t name_len,
                        daas_collection** out) {
  if (out == nullptr) return NullArg("out");
  *out = nullptr;
  if (db == nullptr) return NullArg("db");
  std::string_view n;
  CAPI_RETURN_IF_ERROR(Bytes(name, name_len, "name", &n));
  auto c = create ? db->db->CreateCollection(n) : db->db->GetCollection(n);
  if (!c.ok()) return c.status();
  *out = AsHandle(*c);
  return Status::OK();
}

}  // namespace

extern "C" int daas_db_create_collection(daas_db* db, const char* name, size_t name_len,
                                         daas_collection** out) {
  return Guard([&] { return CollectionHandle(true, db, name, name_len, out); });
}

extern "C" int daas_db_get_collection(daas_db* db, const char* name, size_t name_len,
                                      daas_collection** out) {
  return Guard([&] { return CollectionHandle(false, db, name, name_len, out); });
}

extern "C" int daas_db_drop_collection(daas_db* db, const char* name, size_t name_len) {
  return Guard([&]() -> Status {
    if (db == nullptr) return NullArg("db");
    std::string_view n;
    CAPI_RETURN_IF_ERROR(Bytes(name, name_len, "name", &n));
    return db->db->DropCollection(n);
  });
}

extern "C" int daas_db_rename_collection(daas_db* db, const char* from, size_t from_len,
                                         const char* to, size_t to_len) {
  return Guard([&]() -> Status {
    if (db == nullptr) return NullArg("db");
    std::string_view f, t;
    CAPI_RETURN_IF_ERROR(Bytes(from, from_len, "from", &f));
    CAPI_RETURN_IF_ERROR(Bytes(to, to_len, "to", &t));
    return db->db->RenameCollection(f, t);
  });
}

extern "C" int daas_db_list_collections(daas_db* db, daas_name_fn fn, void* ctx) {
  return Guard([&]() -> Status {
    if (db == nullptr) return NullArg("db");
    if (fn == nullptr) return NullArg("fn");
    // A copy of the names: fn may call back into the library, even drop a collection.
    const std::vector<std::string> names = db->db->ListCollections();
    for (const std::string& name : names) {
      if (fn(ctx, name.c_str(), name.size()) != 0) break;
    }
    // fn may have called other daas_ functions on this thread; this call succeeded.
    ClearError();
    return Status::OK();
  });
}

// ==== documents ====

extern "C" int daas_collection_insert(daas_collection* coll, const uint8_t* doc, size_t len,
                                      daas_id* out_id) {
  return Guard([&]() -> Status {
    if (coll == nullptr) return NullArg("coll");
    if (out_id == nullptr) return NullArg("out_id");
    std::string_view d;
    CAPI_RETURN_IF_ERROR(Bytes(doc, len, "doc", &d));
    return Insert(coll, d, out_id);
  });
}

extern "C" int daas_collection_insert_json(daas_collection* coll, const char* json, size_t len,
                                           daas_id* out_id) {
  return Guard([&]() -> Status {
    if (coll == nullptr) return NullArg("coll");
    if (out_id == nullptr) return NullArg("out_id");
    auto doc = JsonArg(json, len);
    if (!doc.ok()) return doc.status();
    return Insert(coll, *doc, out_id);
  });
}

extern "C" int daas_collection_get(daas_collection* coll, const daas_id* id, uint8_t* buf,
                                   size_t cap, size_t* len) {
  return Guard([&] { return GetInto(coll, id, buf, cap, len, false); });
}

extern "C" int daas_collection_get_json(daas_collection* coll, const daas_id* id, char* buf,
                                        size_t cap, size_t* len) {
  return Guard([&] { return GetInto(coll, id, buf, cap, len, true); });
}

extern "C" int daas_collection_get_meta(daas_collection* coll, const daas_id* id, uint8_t* buf,
                                        size_t cap, size_t* len, daas_doc_meta* meta) {
  return Guard([&]() -> Status {
    CAPI_RETURN_IF_ERROR(CheckOutput(buf, cap, len, "buf"));
    if (coll == nullptr) return NullArg("coll");
    if (meta == nullptr) return NullArg("meta");
    daas::DocId doc_id;
    CAPI_RETURN_IF_ERROR(ToDocId(id, "id", &doc_id));
    std::string bytes;
    daas::DocumentMeta m;
    CAPI_RETURN_IF_ERROR(AsCollection(coll)->Get(doc_id, &bytes, &m));
    *meta = daas_doc_meta{m.version, m.created_ms, m.updated_ms};
    return CopyOut(bytes, false, buf, cap, len);
  });
}

extern "C" int daas_collection_replace_if(daas_collection* coll, const daas_id* id,
                                          uint64_t expected_version, const uint8_t* doc,
                                          size_t len) {
  return Guard(
      [&] { return WriteOne(WriteKind::kReplace, coll, id, doc, len, false, expected_version); });
}

extern "C" int daas_collection_patch_if(daas_collection* coll, const daas_id* id,
                                        uint64_t expected_version, const uint8_t* patch,
                                        size_t len) {
  return Guard(
      [&] { return WriteOne(WriteKind::kPatch, coll, id, patch, len, false, expected_version); });
}

extern "C" int daas_collection_delete_if(daas_collection* coll, const daas_id* id,
                                         uint64_t expected_version) {
  return Guard([&]() -> Status {
    if (coll == nullptr) return NullArg("coll");
    daas::DocId doc_id;
    CAPI_RETURN_IF_ERROR(ToDocId(id, "id", &doc_id));
    return AsCollection(coll)->DeleteIf(doc_id, expected_version);
  });
}

extern "C" int daas_collection_replace(daas_collection* coll, const daas_id* id, const uint8_t* doc,
                                       size_t len) {
  return Guard([&] { return WriteOne(WriteKind::kReplace, coll, id, doc, len, false); });
}

extern "C" int daas_collection_replace_json(daas_collection* coll, const daas_id* id,
                                            const char* json, size_t len) {
  return Guard([&] { return WriteOne(WriteKind::kReplace, coll, id, json, len, true); });
}

extern "C" int daas_collection_patch(daas_collection* coll, const daas_id* id, const uint8_t* patch,
                                     size_t len) {
  return Guard([&] { return WriteOne(WriteKind::kPatch, coll, id, patch, len, false); });
}

extern "C" int daas_collection_patch_json(daas_collection* coll, const daas_id* id,
                                          const char* json, size_t len) {
  return Guard([&] { return WriteOne(WriteKind::kPatch, coll, id, json, len, true); });
}

extern "C" int daas_collection_delete(daas_collection* coll, const daas_id* id) {
  return Guard([&]() -> Status {
    if (coll == nullptr) return NullArg("coll");
    daas::DocId doc_id;
    CAPI_RETURN_IF_ERROR(ToDocId(id, "id", &doc_id));
    return AsCollection(coll)->Delete(doc_id);
  });
}

extern "C" int daas_collection_count(daas_collection* coll, uint64_t* count) {
  return Guard([&]() -> Status {
    if (coll == nullptr) return NullArg("coll");
    if (count == nullptr) return NullArg("count");
    auto n = AsCollection(coll)->Count();
    if (!n.ok()) return n.status();
    *count = *n;
    return Status::OK();
  });
}

extern "C" int daas_collection_scan(daas_collection* coll, daas_doc_fn fn, void* ctx) {
  return Guard([&]() -> Status {
    if (coll == nullptr) return NullArg("coll");
    if (fn == nullptr) return NullArg("fn");
    CAPI_RETURN_IF_ERROR(AsCollection(coll)->Scan([&](daas::DocId id, std::string_view bytes) {
      daas_id cid;
      FromDocId(id, &cid);
      return fn(ctx, &cid, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()) == 0;
    }));
    // fn may have called other daas_ functions on this thread; this call succeeded.
    ClearError();
    return Status::OK();
  });
}

extern "C" int daas_collection_find(daas_collection* coll, const char* filter, size_t filter_len,
                                    daas_doc_fn fn, void* ctx) {
  return Guard([&]() -> Status {
    if (coll == nullptr) return NullArg("coll");
    if (fn == nullptr) return NullArg("fn");
    if (filter == nullptr && filter_len > 0) return NullArg("filter");
    const std::string_view text(filter == nullptr ? "" : filter, filter_len);
    CAPI_RETURN_IF_ERROR(
        AsCollection(coll)->Find(text, [&](daas::DocId id, std::string_view bytes) {
          daas_id cid;
          FromDocId(id, &cid);
          return fn(ctx, &cid, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()) == 0;
        }));
    ClearError();  // as in daas_collection_scan
    return Status::OK();
  });
}

extern "C" int daas_collection_set_schema(daas_collection* coll, const char* schema_json,
                                          size_t len) {
  return Guard([&]() -> Status {
    if (coll == nullptr) return NullArg("coll");
    if (schema_json == nullptr && len > 0) return NullArg("schema_json");
    return AsCollection(coll)->SetSchema(
        std::string_view(schema_json == nullptr ? "" : schema_json, len));
  });
}

extern "C" int daas_collection_get_schema(daas_collection* coll, char* buf, size_t cap,
                                          size_t* len) {
  return Guard([&]() -> Status {
    CAPI_RETURN_IF_ERROR(CheckOutput(buf, cap, len, "buf"));
    if (coll == nullptr) return NullArg("coll");
    std::string schema;
    CAPI_RETURN_IF_ERROR(AsCollection(coll)->GetSchema(&schema));
    return CopyOut(schema, true, buf, cap, len);
  });
}

// ==== batches ====

extern "C" int daas_batch_new(daas_batch** out) {
  return Guard([&]() -> Status {
    if (out == nullptr) return NullArg("out");
    *out = std::make_unique<daas_batch>().release();
    return Status::OK();
  });
}

extern "C" void daas_batch_free(daas_batch* batch) { FreeHandle(batch); }

extern "C" int daas_batch_clear(daas_batch* batch) {
  return Guard([&]() -> Status {
    if (batch == nullptr) return NullArg("batch");
    batch->batch.Clear();
    return Status::OK();
  });
}

extern "C" int daas_batch_count(const daas_batch* batch, size_t* count) {
  return Guard([&]() -> Status {
    if (batch == nullptr) return NullArg("batch");
    if (count == nullptr) return NullArg("count");
    *count = batch->batch.size();
    return Status::OK();
  });
}

extern "C" int daas_batch_insert(daas_batch* batch, daas_collection* coll, const uint8_t* doc,
                                 size_t len) {
  return Guard([&] {
    return BatchAppend(batch, daas::WriteBatch::OpType::kInsert, coll, nullptr, doc, len, false);
  });
}

extern "C" int daas_batch_insert_json(daas_batch* batch, daas_collection* coll, const char* json,
                                      size_t len) {
  return Guard([&] {
    return BatchAppend(batch, daas::WriteBatch::OpType::kInsert, coll, nullptr, json, len, true);
  });
}

extern "C" int daas_batch_replace(daas_batch* batch, daas_collection* coll, const daas_id* id,
                                  const uint8_t* doc, size_t len) {
  return Guard([&] {
    return BatchAppend(batch, daas::WriteBatch::OpType::kReplace, coll, id, doc, len, false);
  });
}

extern "C" int daas_batch_replace_json(daas_batch* batch, daas_collection* coll, const daas_id* id,
                                       const char* json, size_t len) {
  return Guard([&] {
    return BatchAppend(batch, daas::WriteBatch::OpType::kReplace, coll, id, json, len, true);
  });
}

extern "C" int daas_batch_patch(daas_batch* batch, daas_collection* coll, const daas_id* id,
                                const uint8_t* patch, size_t len) {
  return Guard([&] {
    return BatchAppend(batch, daas::WriteBatch::OpType::kPatch, coll, id, patch, len, false);
  });
}

extern "C" int daas_batch_patch_json(daas_batch* batch, daas_collection* coll, const daas_id* id,
                                     const char* json, size_t len) {
  return Guard([&] {
    return BatchAppend(batch, daas::WriteBatch::OpType::kPatch, coll, id, json, len, true);
  });
}

extern "C" int daas_batch_delete(daas_batch* batch, daas_collection* coll, const daas_id* id) {
  return Guard([&] {
    return BatchAppend(batch, daas::WriteBatch::OpType::kDelete, coll, id, nullptr, 0, false);
  });
}

namespace {

// Body of daas_db_write and daas_db_write_flags.
Status WriteBatchArg(daas_db* db, const daas_batch* batch, uint32_t flags, daas_id* inserted_ids,
                     size_t ids_cap, size_t* n_inserted) {
  {
    if (n_inserted != nullptr) *n_inserted = 0;
    if ((flags & ~3u) != 0) {
      return Status::InvalidArgument("flags has unknown bits " + std::to_string(flags & ~3u));
    }
    daas::WriteOptions options;
    CAPI_RETURN_IF_ERROR(SyncModeArg(flags & 3u, "the sync mode of flags", &options.sync));
    if (db == nullptr) return NullArg("db");
    if (batch == nullptr) return NullArg("batch");
    if (inserted_ids == nullptr && ids_cap != 0) {
      return Status::InvalidArgument("inserted_ids is NULL but ids_cap is " +
                                     std::to_string(ids_cap));
    }
    const size_t inserts = batch->batch.inserts();
    // Checked before writing: once the batch is applied there is no way to report its IDs.
    if (inserted_ids != nullptr && ids_cap < inserts) {
      if (n_inserted != nullptr) *n_inserted = inserts;
      return Status::ResourceExhausted("inserted_ids too small: the batch has " +
                                       std::to_string(inserts) + " inserts, ids_cap is " +
                                       std::to_string(ids_cap) + "; nothing was written");
    }
    std::vector<daas::DocId> ids;
    CAPI_RETURN_IF_ERROR(db->db->Write(batch->batch, &ids, options));
    if (ids.size() != inserts) {
      return Status::Internal("Database::Write returned " + std::to_string(ids.size()) +
                              " IDs for " + std::to_string(inserts) + " inserts");
    }
    if (inserted_ids != nullptr) {
      for (size_t i = 0; i < ids.size(); ++i) FromDocId(ids[i], &inserted_ids[i]);
    }
    if (n_inserted != nullptr) *n_inserted = inserts;
    return Status::OK();
  }
}

// A path argument: pointer + length, no NUL inside.
Status PathArg(const char* path, size_t len, const char* name, std::string* out) {
  std::string_view text;
  CAPI_RETURN_IF_ERROR(Bytes(path, len, name, &text));
  if (text.empty()) return Status::InvalidArgument(std::string(name) + " is empty");
  if (text.find('\0') != std::string_view::npos) {
    return Status::InvalidArgument(std::string(name) + " contains a NUL byte");
  }
  *out = std::string(text);
  return Status::OK();
}

// Copies the first struct_size bytes of `value` to `out`.
template <typename T>
Status StructOut(const T& value, void* out, size_t struct_size) {
  if (out == nullptr) return NullArg("out");
  if (struct_size == 0) return Status::InvalidArgument("struct_size is 0");
  std::memcpy(out, &value, std::min(struct_size, sizeof(T)));
  return Status::OK();
}

daas::Transaction* AsTxn(daas_txn* t) { return t->txn.get(); }

}  // namespace

extern "C" int daas_db_write(daas_db* db, const daas_batch* batch, daas_id* inserted_ids,
                             size_t ids_cap, size_t* n_inserted) {
  return Guard([&] {
    return WriteBatchArg(db, batch, DAAS_SYNC_DEFAULT, inserted_ids, ids_cap, n_inserted);
  });
}

extern "C" int daas_db_write_flags(daas_db* db, const daas_batch* batch, uint32_t flags,
                                   daas_id* inserted_ids, size_t ids_cap, size_t* n_inserted) {
  return Guard([&] { return WriteBatchArg(db, batch, flags, inserted_ids, ids_cap, n_inserted); });
}

extern "C" int daas_db_sync(daas_db* db) {
  return Guard([&]() -> Status {
    if (db == nullptr) return NullArg("db");
    return db->db->Sync();
  });
}

namespace {

// The most documents daas_db_get_many and daas_txn_get_many read in one call (daas.h).
constexpr size_t kMaxGetMany = size_t{1} << 24;

// daas_db_get_many and daas_txn_get_many: `read` reads the documents the arguments name through
// `handle` (the db or the txn, named `handle_name`).
template <typename Read>
int GetManyInto(const void* handle, const char* handle_name, size_t n,
                daas_collection* const* colls, const daas_id* ids, uint8_t* buf, size_t cap,
                size_t* len, size_t* offsets, size_t* lengths, Read&& read) {
  return Guard([&]() -> Status {
    CAPI_RETURN_IF_ERROR(CheckOutput(buf, cap, len, "buf"));
    if (handle == nullptr) return NullArg(handle_name);
    if (n > kMaxGetMany) {
      return Status::InvalidArgument("n is " + std::to_string(n) + ", above the " +
                                     std::to_string(kMaxGetMany) + " documents one call reads");
    }
    if (n > 0 && (colls == nullptr || ids == nullptr || offsets == nullptr || lengths == nullptr)) {
      return NullArg(colls == nullptr     ? "colls"
                     : ids == nullptr     ? "ids"
                     : offsets == nullptr ? "offsets"
                                          : "lengths");
    }
    std::vector<daas::DocRef> refs(n);
    for (size_t i = 0; i < n; ++i) {
      if (colls[i] == nullptr)
        return Status::InvalidArgument("colls[" + std::to_string(i) + "] is NULL");
      refs[i].collection = AsCollection(colls[i]);
      CAPI_RETURN_IF_ERROR(ToDocId(&ids[i], "ids[i]", &refs[i].id));
    }
    std::vector<std::optional<std::string>> found;
    CAPI_RETURN_IF_ERROR(read(refs, &found));
    size_t total = 0;
    for (const auto& d : found) total += d ? d->size() : 0;
    if (cap < total) {
      *len = total;
      return Status::ResourceExhausted("output buffer too small: need " + std::to_string(total) +
                                       " bytes, have " + std::to_string(cap));
    }
    size_t at = 0;
    for (size_t i = 0; i < n; ++i) {
      offsets[i] = at;
      if (!found[i]) {
        lengths[i] = DAAS_ABSENT;
        continue;
      }
      lengths[i] = found[i]->size();
      if (!found[i]->empty()) std::memcpy(buf + at, found[i]->data(), found[i]->size());
      at += found[i]->size();
    }
    *len = total;
    return Status::OK();
  });
}

}  // namespace

extern "C" int daas_db_get_many(daas_db* db, size_t n, daas_collection* const* colls,
                                const daas_id* ids, uint8_t* buf, size_t cap, size_t* len,
                                size_t* offsets, size_t* lengths) {
  return GetManyInto(
      db, "db", n, colls, ids, buf, cap, len, offsets, lengths,
      [&](std::span<const daas::DocRef> refs, std::vector<std::optional<std::string>>* out) {
        return db->db->GetMany(refs, out);
      });
}

extern "C" int daas_db_stats_get(daas_db* db, daas_db_stats* out, size_t struct_size) {
  return Guard([&]() -> Status {
    if (db == nullptr) return NullArg("db");
    auto st = db->db->Stats();
    if (!st.ok()) return st.status();
    const daas_db_stats v{st->visible_lsn,           st->durable_lsn, st->checkpoint_lsn,
                          st->log_segments,          st->log_bytes,   st->checkpoint_files,
                          st->checkpoint_bytes,      st->cold_shards, st->snapshots_open,
                          st->snapshot_history_bytes};
    return StructOut(v, out, struct_size);
  });
}

extern "C" int daas_collection_stats_get(daas_collection* coll, daas_collection_stats* out,
                                         size_t struct_size) {
  return Guard([&]() -> Status {
    if (coll == nullptr) return NullArg("coll");
    auto st = AsCollection(coll)->Stats();
    if (!st.ok()) return st.status();
    const daas_collection_stats v{st->documents, st->document_bytes, st->memory_bytes, st->shards};
    return StructOut(v, out, struct_size);
  });
}

extern "C" int daas_db_compact(daas_db* db) {
  return Guard([&]() -> Status {
    if (db == nullptr) return NullArg("db");
    return db->db->Compact();
  });
}

extern "C" int daas_db_backup(daas_db* db, const char* dir, size_t dir_len) {
  return Guard([&]() -> Status {
    if (db == nullptr) return NullArg("db");
    std::string path;
    CAPI_RETURN_IF_ERROR(PathArg(dir, dir_len, "dir", &path));
    return db->db->Backup(path);
  });
}

extern "C" int daas_check(const char* dir, size_t dir_len, daas_check_report* out,
                          size_t struct_size, char* problems, size_t cap, size_t* len) {
  return Guard([&]() -> Status {
    CAPI_RETURN_IF_ERROR(CheckOutput(problems, cap, len, "problems"));
    if (out == nullptr) return NullArg("out");
    std::string path;
    CAPI_RETURN_IF_ERROR(PathArg(dir, dir_len, "dir", &path));
    auto r = daas::CheckDatabase(path);
    if (!r.ok()) return r.status();
    const daas_check_report v{r->collections,
                              r->shards,
                              r->shard_files,
                              r->checkpoint_documents,
                              r->log_segments,
                              r->log_records,
                              r->log_bytes,
                              r->last_lsn,
                              r->torn_tail.empty() ? 0u : 1u,
                              r->problems.size()};
    CAPI_RETURN_IF_ERROR(StructOut(v, out, struct_size));
    if (problems == nullptr) return Status::OK();  // the counts alone
    std::string text;
    for (const std::string& p : r->problems) text += p + "\n";
    return CopyOut(text, true, problems, cap, len);
  });
}

extern "C" int daas_restore_backup(const char* backup_dir, size_t backup_dir_len, const char* dir,
                                   size_t dir_len) {
  return Guard([&]() -> Status {
    std::string from, to;
    CAPI_RETURN_IF_ERROR(PathArg(backup_dir, backup_dir_len, "backup_dir", &from));
    CAPI_RETURN_IF_ERROR(PathArg(dir, dir_len, "dir", &to));
    return daas::RestoreBackup(from, to);
  });
}

extern "C" int daas_db_apply_schema_file(daas_db* db, const char* json, size_t len) {
  return Guard([&]() -> Status {
    if (db == nullptr) return NullArg("db");
    std::string_view text;
    CAPI_RETURN_IF_ERROR(Bytes(json, len, "json", &text));
    return db->db->ApplySchemaFile(text, nullptr);
  });
}

namespace {

// A text the database makes (its schema file, its TypeScript types), copied out NUL-terminated.
int CopyOutDatabaseText(daas_db* db, daas::Result<std::string> (daas::Database::*make)() const,
                        char* buf, size_t cap, size_t* len) {
  return Guard([&]() -> Status {
    CAPI_RETURN_IF_ERROR(CheckOutput(buf, cap, len, "buf"));
    if (db == nullptr) return NullArg("db");
    auto text = (db->db.get()->*make)();
    if (!text.ok()) return text.status();
    return CopyOut(*text, true, buf, cap, len);
  });
}

}  // namespace

extern "C" int daas_db_get_schema_file(daas_db* db, char* buf, size_t cap, size_t* len) {
  return CopyOutDatabaseText(db, &daas::Database::GetSchemaFile, buf, cap, len);
}

extern "C" int daas_db_types(daas_db* db, char* buf, size_t cap, size_t* len) {
  return CopyOutDatabaseText(db, &daas::Database::TypeScript, buf, cap, len);
}

// ==== transactions ====

extern "C" int daas_txn_begin(daas_db* db, uint32_t flags, daas_txn** out) {
  return Guard([&]() -> Status {
    if (out == nullptr) return NullArg("out");
    *out = nullptr;
    if (db == nullptr) return NullArg("db");
    if ((flags & ~(3u | DAAS_TXN_READ_ONLY)) != 0) {
      return Status::InvalidArgument("flags has unknown bits " +
                                     std::to_string(flags & ~(3u | DAAS_TXN_READ_ONLY)));
    }
    daas::TransactionOptions options;
    CAPI_RETURN_IF_ERROR(SyncModeArg(flags & 3u, "the sync mode of flags", &options.sync));
    options.read_only = (flags & DAAS_TXN_READ_ONLY) != 0;
    auto txn = db->db->BeginTransaction(options);
    if (!txn.ok()) return txn.status();
    auto handle = std::make_unique<daas_txn>();
    handle->txn = std::move(*txn);
    *out = handle.release();
    return Status::OK();
  });
}

namespace {

// Body of daas_txn_get and daas_txn_get_json.
Status TxnGet(daas_txn* txn, daas_collection* coll, const daas_id* id, void* buf, size_t cap,
              size_t* len, bool json) {
  CAPI_RETURN_IF_ERROR(CheckOutput(buf, cap, len, "buf"));
  if (txn == nullptr) return NullArg("txn");
  if (coll == nullptr) return NullArg("coll");
  daas::DocId doc_id;
  CAPI_RETURN_IF_ERROR(ToDocId(id, "id", &doc_id));
  std::string bytes;
  CAPI_RETURN_IF_ERROR(AsTxn(txn)->Get(AsCollection(coll), doc_id, &bytes));
  if (!json) return CopyOut(bytes, false, buf, cap, len);
  auto text = daas::DocumentToJson(bytes);
  if (!text.ok()) return text.status();
  return CopyOut(*text, true, buf, cap, len);
}

Status TxnInsert(daas_txn* txn, daas_collection* coll, const void* data, size_t len, bool json,
                 daas_id* out_id) {
  if (txn == nullptr) return NullArg("txn");
  if (coll == nullptr) return NullArg("coll");
  if (out_id == nullptr) return NullArg("out_id");
  std::string storage;
  std::string_view doc;
  CAPI_RETURN_IF_ERROR(DocumentArg(data, len, json, "doc", &storage, &doc));
  auto id = AsTxn(txn)->Insert(AsCollection(coll), doc);
  if (!id.ok()) return id.status();
  FromDocId(*id, out_id);
  return Status::OK();
}

Status TxnWrite(WriteKind kind, daas_txn* txn, daas_collection* coll, const daas_id* id,
                const void* data, size_t len, bool json) {
  if (txn == nullptr) return NullArg("txn");
  if (coll == nullptr) return NullArg("coll");
  daas::DocId doc_id;
  CAPI_RETURN_IF_ERROR(ToDocId(id, "id", &doc_id));
  std::string storage;
  std::string_view doc;
  CAPI_RETURN_IF_ERROR(
      DocumentArg(data, len, json, kind == WriteKind::kReplace ? "doc" : "patch", &storage, &doc));
  return kind == WriteKind::kReplace ? AsTxn(txn)->Replace(AsCollection(coll), doc_id, doc)
                                     : AsTxn(txn)->Patch(AsCollection(coll), doc_id, doc);
}

}  // namespace

extern "C" int daas_txn_get(daas_txn* txn, daas_collection* coll, const daas_id* id, uint8_t* buf,
                            size_t cap, size_t* len) {
  return Guard([&] { return TxnGet(txn, coll, id, buf, cap, len, false); });
}

extern "C" int daas_txn_get_json(daas_txn* txn, daas_collection* coll, const daas_id* id, char* buf,
                                 size_t cap, size_t* len) {
  return Guard([&] { return TxnGet(txn, coll, id, buf, cap, len, true); });
}

extern "C" int daas_txn_get_many(daas_txn* txn, size_t n, daas_collection* const* colls,
                                 const daas_id* ids, uint8_t* buf, size_t cap, size_t* len,
                                 size_t* offsets, size_t* lengths) {
  return GetManyInto(
      txn, "txn", n, colls, ids, buf, cap, len, offsets, lengths,
      [&](std::span<const daas::DocRef> refs, std::vector<std::optional<std::string>>* out) {
        return txn->txn->GetMany(refs, out);
      });
}

extern "C" int daas_txn_insert(daas_txn* txn, daas_collection* coll, const uint8_t* doc, size_t len,
                               daas_id* out_id) {
  return Guard([&] { return TxnInsert(txn, coll, doc, len, false, out_id); });
}

extern "C" int daas_txn_insert_json(daas_txn* txn, daas_collection* coll, const char* json,
                                    size_t len, daas_id* out_id) {
  return Guard([&] { return TxnInsert(txn, coll, json, len, true, out_id); });
}

extern "C" int daas_txn_replace(daas_txn* txn, daas_collection* coll, const daas_id* id,
                                const uint8_t* doc, size_t len) {
  return Guard([&] { return TxnWrite(WriteKind::kReplace, txn, coll, id, doc, len, false); });
}

extern "C" int daas_txn_replace_json(daas_txn* txn, daas_collection* coll, const daas_id* id,
                                     const char* json, size_t len) {
  return Guard([&] { return TxnWrite(WriteKind::kReplace, txn, coll, id, json, len, true); });
}

extern "C" int daas_txn_patch(daas_txn* txn, daas_collection* coll, const daas_id* id,
                              const uint8_t* patch, size_t len) {
  return Guard([&] { return TxnWrite(WriteKind::kPatch, txn, coll, id, patch, len, false); });
}

extern "C" int daas_txn_patch_json(daas_txn* txn, daas_collection* coll, const daas_id* id,
                                   const char* json, size_t len) {
  return Guard([&] { return TxnWrite(WriteKind::kPatch, txn, coll, id, json, len, true); });
}

extern "C" int daas_txn_delete(daas_txn* txn, daas_collection* coll, const daas_id* id) {
  return Guard([&]() -> Status {
    if (txn == nullptr) return NullArg("txn");
    if (coll == nullptr) return NullArg("coll");
    daas::DocId doc_id;
    CAPI_RETURN_IF_ERROR(ToDocId(id, "id", &doc_id));
    return AsTxn(txn)->Delete(AsCollection(coll), doc_id);
  });
}

extern "C" int daas_txn_find(daas_txn* txn, daas_collection* coll, const char* filter,
                             size_t filter_len, daas_doc_fn fn, void* ctx) {
  return Guard([&]() -> Status {
    if (txn == nullptr) return NullArg("txn");
    if (coll == nullptr) return NullArg("coll");
    if (fn == nullptr) return NullArg("fn");
    if (filter == nullptr && filter_len > 0) return NullArg("filter");
    const std::string_view text(filter == nullptr ? "" : filter, filter_len);
    CAPI_RETURN_IF_ERROR(
        AsTxn(txn)->Find(AsCollection(coll), text, [&](daas::DocId id, std::string_view bytes) {
          daas_id cid;
          FromDocId(id, &cid);
          return fn(ctx, &cid, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()) == 0;
        }));
    ClearError();  // as in daas_collection_scan: fn may have called functions that failed
    return Status::OK();
  });
}

extern "C" int daas_txn_commit(daas_txn* txn, uint64_t* lsn) {
  return Guard([&]() -> Status {
    if (lsn != nullptr) *lsn = 0;
    if (txn == nullptr) return NullArg("txn");
    Status s = AsTxn(txn)->Commit();
    if (lsn != nullptr) *lsn = AsTxn(txn)->commit_lsn();  // nonzero when applied, even on error
    return s;
  });
}

extern "C" uint64_t daas_txn_snapshot_lsn(const daas_txn* txn) {
  return txn == nullptr ? 0 : txn->txn->snapshot_lsn();
}

extern "C" void daas_txn_free(daas_txn* txn) { FreeHandle(txn); }

// ==== cursors ====

namespace {

// daas_cursor_open and daas_txn_cursor_open: `txn` null for a cursor outside a transaction.
int OpenCursor(daas_txn* txn, daas_collection* coll, const char* filter, size_t filter_len,
               const daas_id* after, daas_cursor** out) {
  return Guard([&]() -> Status {
    if (out == nullptr) return NullArg("out");
    *out = nullptr;
    if (coll == nullptr) return NullArg("coll");
    if (filter == nullptr && filter_len > 0) return NullArg("filter");
    std::optional<daas::DocId> start;
    if (after != nullptr) {
      daas::DocId id;
      CAPI_RETURN_IF_ERROR(ToDocId(after, "after", &id));
      start = id;
    }
    const std::string_view f(filter == nullptr ? "" : filter, filter_len);
    auto cursor = txn == nullptr ? AsCollection(coll)->OpenCursor(f, start)
                                 : AsTxn(txn)->OpenCursor(AsCollection(coll), f, start);
    if (!cursor.ok()) return cursor.status();
    auto handle = std::make_unique<daas_cursor>();
    handle->cursor = std::move(*cursor);
    *out = handle.release();
    return Status::OK();
  });
}

}  // namespace

extern "C" int daas_cursor_open(daas_collection* coll, const char* filter, size_t filter_len,
                                const daas_id* after, daas_cursor** out) {
  return OpenCursor(nullptr, coll, filter, filter_len, after, out);
}

extern "C" int daas_txn_cursor_open(daas_txn* txn, daas_collection* coll, const char* filter,
                                    size_t filter_len, const daas_id* after, daas_cursor** out) {
  if (txn == nullptr) {
    if (out != nullptr) *out = nullptr;
    return Guard([] { return NullArg("txn"); });
  }
  return OpenCursor(txn, coll, filter, filter_len, after, out);
}

namespace {

// The cursor's next document: the one held back by daas_cursor_next_into, or a new one.
daas::Result<bool> CursorNext(daas_cursor* cursor, daas::DocId* id, std::string_view* doc) {
  if (cursor->held) {
    cursor->held = false;
    *id = cursor->held_id;
    *doc = cursor->held_doc;
    return true;
  }
  return cursor->cursor->Next(id, doc);
}

}  // namespace

extern "C" int daas_cursor_next(daas_cursor* cursor, daas_id* id, const uint8_t** doc, size_t* len,
                                int* got) {
  return Guard([&]() -> Status {
    if (got != nullptr) *got = 0;
    if (cursor == nullptr) return NullArg("cursor");
    if (id == nullptr) return NullArg("id");
    if (doc == nullptr) return NullArg("doc");
    if (len == nullptr) return NullArg("len");
    if (got == nullptr) return NullArg("got");
    daas::DocId next;
    std::string_view bytes;
    auto more = CursorNext(cursor, &next, &bytes);
    if (!more.ok()) return more.status();
    if (!*more) return Status::OK();
    FromDocId(next, id);
    *doc = reinterpret_cast<const uint8_t*>(bytes.data());
    *len = bytes.size();
    *got = 1;
    return Status::OK();
  });
}

extern "C" int daas_cursor_next_into(daas_cursor* cursor, daas_id* id, uint8_t* buf, size_t cap,
                                     size_t* len, int* got) {
  return Guard([&]() -> Status {
    if (got != nullptr) *got = 0;
    CAPI_RETURN_IF_ERROR(CheckOutput(buf, cap, len, "buf"));
    if (cursor == nullptr) return NullArg("cursor");
    if (id == nullptr) return NullArg("id");
    if (got == nullptr) return NullArg("got");
    daas::DocId next;
    std::string_view bytes;
    auto more = CursorNext(cursor, &next, &bytes);
    if (!more.ok()) return more.status();
    if (!*more) return Status::OK();
    if (Status s = CopyOut(bytes, false, buf, cap, len); !s.ok()) {
      // Too small: keep it for the next call (its bytes stay in the cursor's buffer until then).
      cursor->held = true;
      cursor->held_id = next;
      cursor->held_doc = bytes;
      return s;
    }
    FromDocId(next, id);
    *got = 1;
    return Status::OK();
  });
}

extern "C" void daas_cursor_close(daas_cursor* cursor) { FreeHandle(cursor); }

// ==== the change feed ====

extern "C" int daas_feed_open(daas_db* db, uint64_t after_lsn, uint32_t flags, daas_feed** out) {
  return Guard([&]() -> Status {
    if (out == nullptr) return NullArg("out");
    *out = nullptr;
    if (db == nullptr) return NullArg("db");
    if ((flags & ~DAAS_FEED_BEFORE_IMAGES) != 0) {
      return Status::InvalidArgument("flags has unknown bits " +
                                     std::to_string(flags & ~DAAS_FEED_BEFORE_IMAGES));
    }
    daas::FeedOptions options;
    if (after_lsn != DAAS_FEED_FROM_NOW) options.after_lsn = after_lsn;
    options.before_images = (flags & DAAS_FEED_BEFORE_IMAGES) != 0;
    auto feed = db->db->SubscribeChanges(options);
    if (!feed.ok()) return feed.status();
    auto handle = std::make_unique<daas_feed>();
    handle->position = (*feed)->position();
    handle->feed = std::move(*feed);
    *out = handle.release();
    return Status::OK();
  });
}

extern "C" int daas_feed_next(daas_feed* feed, uint32_t wait_ms, daas_change* out, int* got) {
  return Guard([&]() -> Status {
    if (got != nullptr) *got = 0;
    if (feed == nullptr) return NullArg("feed");
    if (out == nullptr) return NullArg("out");
    if (got == nullptr) return NullArg("got");
    if (feed->next == feed->events.size()) {
      feed->events.clear();
      feed->next = 0;
      feed->position = feed->feed->position();
      CAPI_RETURN_IF_ERROR(feed->feed->Next(&feed->events, 256, wait_ms));
      if (feed->events.empty()) return Status::OK();
    }
    const daas::ChangeEvent& e = feed->events[feed->next++];
    if (feed->next == feed->events.size()) feed->position = feed->feed->position();
    std::memset(out, 0, sizeof *out);
    out->lsn = e.lsn;
    out->time_ms = e.time_ms;
    out->op = e.op == daas::ChangeEvent::Op::kInsert   ? DAAS_CHANGE_INSERT
              : e.op == daas::ChangeEvent::Op::kUpdate ? DAAS_CHANGE_UPDATE
                                                       : DAAS_CHANGE_DELETE;
    FromDocId(e.id, &out->id);
    out->collection = e.collection.data();
    out->collection_len = e.collection.size();
    if (e.op != daas::ChangeEvent::Op::kDelete) {
      out->doc = reinterpret_cast<const uint8_t*>(e.document.data());
      out->doc_len = e.document.size();
    }
    if (e.before) {
      out->before = reinterpret_cast<const uint8_t*>(e.before->data());
      out->before_len = e.before->size();
    }
    *got = 1;
    return Status::OK();
  });
}

extern "C" int daas_feed_position(daas_feed* feed, uint64_t* lsn) {
  return Guard([&]() -> Status {
    if (feed == nullptr) return NullArg("feed");
    if (lsn == nullptr) return NullArg("lsn");
    *lsn = feed->position;
    return Status::OK();
  });
}

extern "C" void daas_feed_close(daas_feed* feed) { FreeHandle(feed); }

// ==== conversions ====

extern "C" int daas_document_from_json(const char* json, size_t json_len, uint8_t* buf, size_t cap,
                                       size_t* len) {
  return Guard([&]() -> Status {
    CAPI_RETURN_IF_ERROR(CheckOutput(buf, cap, len, "buf"));
    auto doc = JsonArg(json, json_len);
    if (!doc.ok()) return doc.status();
    return CopyOut(*doc, false, buf, cap, len);
  });
}

extern "C" int daas_document_to_json(const uint8_t* doc, size_t doc_len, char* buf, size_t cap,
                                     size_t* len) {
  return Guard([&]() -> Status {
    CAPI_RETURN_IF_ERROR(CheckOutput(buf, cap, len, "buf"));
    std::string_view d;
    CAPI_RETURN_IF_ERROR(Bytes(doc, doc_len, "doc", &d));
    auto text = daas::DocumentToJson(d);
    if (!text.ok()) return text.status();
    return CopyOut(*text, true, buf, cap, len);
  });
}
