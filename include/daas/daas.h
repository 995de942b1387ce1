/* DaaS: the plain C ABI (libdaas.so). Implemented on the C++ API of daas.hpp; see docs/c-api.md.
 *
 * ABI rule: this interface only grows. Functions are added, never removed or changed; status
 * numbers never change; daas_options only gains fields at its end (it carries its own size, see
 * below).
 *
 * Conventions
 * - Every function returns an int status: DAAS_OK (0) or one of the DAAS_* codes below, the same
 *   numbers as daas::StatusCode (include/daas/status.h). The few exceptions (daas_batch_free,
 *   daas_last_error_*, daas_status_name) say so.
 * - Outputs are written through pointers, and only on success unless a function says otherwise.
 * - Strings are UTF-8, passed as pointer + length in bytes, and need no NUL terminator. A NULL
 *   pointer with length 0 is the empty string; a NULL pointer with a nonzero length is
 *   DAAS_INVALID_ARGUMENT.
 * - Documents are MessagePack maps (docs/format/document.md) passed as bytes; the *_json variants
 *   take or return JSON text of one object.
 * - A NULL handle or a NULL required pointer argument fails with DAAS_INVALID_ARGUMENT, naming the
 *   argument in the last error message. Nothing a caller passes crashes the library, except
 *   pointers that do not point to what they claim to (dangling handles, buffers shorter than the
 *   length given).
 *
 * Errors
 *   Every function except daas_last_error_code, daas_last_error_message and daas_status_name
 *   first clears the calling thread's last error, then, when it fails, records the code and a
 *   message ("document 3 of 4: not found ..."). After a successful call, daas_last_error_code()
 *   is DAAS_OK and daas_last_error_message() is "".
 *
 * Caller-owned output buffers (the "buffer protocol")
 *   Functions returning bytes take (buf, cap, len): on success they write the result to buf and its
 *   size to *len. When cap is too small they write nothing to buf, set *len to the buffer size
 *   needed and return DAAS_RESOURCE_EXHAUSTED; call again with cap >= *len. buf = NULL with cap = 0
 *   is the way to ask for the size. On any other error *len is set to 0, so
 *   `rc == DAAS_RESOURCE_EXHAUSTED && *len > cap` identifies "buffer too small". JSON outputs are
 *   NUL-terminated: the size needed counts the NUL, while on success *len is the length of the
 *   text without it (so the buffer holds *len + 1 bytes).
 *
 * Ownership
 *   daas_db: from daas_db_open; released by daas_db_close (exactly once).
 *   daas_collection: borrowed from its daas_db, valid until daas_db_close, never freed by the
 *   caller. After the collection is dropped the handle stays valid and every call on it with valid
 *   arguments fails with DAAS_NOT_FOUND (a batch naming it, at daas_db_write), writing nothing to
 *   its outputs but *len (0).
 *   daas_batch: from daas_batch_new; released by daas_batch_free. It copies the documents given
 *   to it and must not outlive the collections it names.
 *
 * Threading
 *   daas_db and daas_collection: thread-safe; any thread may call any function on them at any time,
 *   except daas_db_close, which requires that no other call on that database (or its collections)
 *   is in progress or starts afterwards.
 *   daas_batch: not thread-safe; one thread at a time (it may move between threads).
 *   The last error is per thread.
 *   Callbacks (daas_collection_scan, daas_db_list_collections) run on the calling thread; a scan
 *   callback runs with part of the collection locked for reading and must not write to the same
 *   database (it would deadlock). Callbacks must not unwind (C++ exceptions, longjmp) through the
 *   library.
 */
#ifndef DAAS_DAAS_H_
#define DAAS_DAAS_H_

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#define DAAS_EXPORT __declspec(dllexport)
#elif defined(__GNUC__) || defined(__clang__)
#define DAAS_EXPORT __attribute__((visibility("default")))
#else
#define DAAS_EXPORT
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Status codes: the numbers of daas::StatusCode, never renumbered ---- */

enum {
  DAAS_OK = 0,
  DAAS_INVALID_ARGUMENT = 1,   /* malformed input: bad JSON, bad ID text, bad name, NULL argument */
  DAAS_NOT_FOUND = 2,          /* no such document, collection or directory */
  DAAS_ALREADY_EXISTS = 3,     /* the collection name is taken */
  DAAS_CONFLICT = 4,           /* a concurrent change won */
  DAAS_SCHEMA_VIOLATION = 5,   /* the document breaks a schema rule */
  DAAS_UNAUTHENTICATED = 6,    /* no or bad credentials */
  DAAS_PERMISSION_DENIED = 7,  /* the rule says no */
  DAAS_RESOURCE_EXHAUSTED = 8, /* a limit was hit, an output buffer is too small, or the disk
                                  is full (ENOSPC, EDQUOT): any call that writes may return it */
  DAAS_BUSY = 9,               /* try again later (e.g. the directory is open elsewhere) */
  DAAS_ABORTED = 10,           /* the operation was cancelled or its transaction aborted */
  DAAS_CORRUPTION = 11,        /* stored bytes fail their checksum or grammar */
  DAAS_IO_ERROR = 12,          /* the operating system refused a read, write or sync (a device
                                  or file error; a full disk is DAAS_RESOURCE_EXHAUSTED) */
  DAAS_NOT_SUPPORTED = 13,     /* valid, but not implemented by this build */
  DAAS_INTERNAL = 14           /* a DaaS bug: please report it */
};

/* The calling thread's last error code: DAAS_OK after a successful call. Never fails. */
DAAS_EXPORT int daas_last_error_code(void);

/* The calling thread's last error message, NUL-terminated: "" after a successful call. Valid until
 * the next daas_ call on the same thread. Never fails; never NULL. */
DAAS_EXPORT const char* daas_last_error_message(void);

/* Machine-readable details of this thread's last error, as NUL-terminated JSON, or "" when it has
 * none. For DAAS_SCHEMA_VIOLATION: every violation, in the order found, as an array of
 * {"collection", "document", "field", "code": "validation_min", "message"} ("field" empty for a
 * check of the whole document, "document" empty for one not inserted yet). Valid until the next
 * daas_ call on this thread. */
DAAS_EXPORT const char* daas_last_error_detail(void);

/* The stable snake_case name of a status code: "ok", "invalid_argument", "not_found", ... and
 * "unknown" for a number that is no code. Static storage; never NULL. Does not touch the last
 * error. */
DAAS_EXPORT const char* daas_status_name(int code);

/* ---- Document IDs ---- */

/* A document ID in its 14-byte binary form: salt (8) | shard (4) | slot (2), big-endian
 * (docs/format/ids.md). All-zero salt is the null ID, which names nothing. Compare with memcmp for
 * equality only: byte order is not storage order. */
typedef struct daas_id {
  uint8_t bytes[14];
} daas_id;

/* Length of the text form of an ID, without the NUL. */
#define DAAS_ID_TEXT_LEN 19

/* Writes the 19-character URL-safe text form of *id and a NUL to out (20 bytes).
 * Errors: DAAS_INVALID_ARGUMENT (NULL argument, or id is the null ID). */
DAAS_EXPORT int daas_id_to_string(const daas_id* id, char out[20]);

/* Parses the text form (exactly 19 bytes, no NUL needed) into *out.
 * Errors: DAAS_INVALID_ARGUMENT (NULL argument, wrong length, bad character (the message names its
 * offset), non-canonical text, or the null ID). */
DAAS_EXPORT int daas_id_parse(const char* text, size_t len, daas_id* out);

/* ---- Options and databases ---- */

typedef struct daas_db daas_db;
typedef struct daas_collection daas_collection;
typedef struct daas_batch daas_batch;

/* Options for daas_db_open. Always fill with daas_options_init first, then set fields. */
typedef struct daas_options {
  /* sizeof(daas_options) as the caller compiled it; set by daas_options_init. Lets later versions
   * add fields at the end: the library reads only the fields that fit in struct_size. */
  size_t struct_size;
  /* Directory holding the database; dir_len 0 means in-memory (nothing touches disk, and everything
   * is gone at close). Not NUL-terminated; must not contain a NUL byte. */
  const char* dir;
  size_t dir_len;
  /* Nonzero: create the directory and database when missing (default 1). Zero: opening a directory
   * without a database fails with DAAS_NOT_FOUND. */
  int create_if_missing;
  /* Document limits; 0 means the default. A document over any limit is refused with
   * DAAS_RESOURCE_EXHAUSTED naming the limit. */
  size_t max_document_bytes; /* encoded MessagePack size; default 16 MiB, at most 2^31-1 */
  uint32_t
      max_document_depth; /* nesting depth, the document's own map is 1; default 100, max 1000 */
  uint32_t max_key_bytes; /* length of one map key; default 1024 */
  /* Added in 0.3 (read only when struct_size covers them). */
  /* Durability of writes, one of DAAS_SYNC_* below; DAAS_SYNC_DEFAULT (0) is DAAS_SYNC_FULL. */
  uint32_t sync_mode;
  /* For DAAS_SYNC_NORMAL and DAAS_SYNC_OFF: how often the log is written out (and, for NORMAL,
   * fdatasync'ed), in ms; 0 means the default, 100. */
  uint32_t sync_interval_ms;
} daas_options;

/* Sync modes (Options::sync in options.h): when a write is acknowledged. */
#define DAAS_SYNC_DEFAULT 0u /* the database's mode (for daas_options: DAAS_SYNC_FULL) */
#define DAAS_SYNC_FULL 1u    /* after its log record is fdatasync'ed (group commit) */
#define DAAS_SYNC_NORMAL 2u  /* once applied; fdatasync every sync_interval_ms */
#define DAAS_SYNC_OFF                                                        \
  3u /* once applied; written to the OS every sync_interval_ms, never synced \
      */

/* Fills *opts with the defaults (in-memory, create_if_missing = 1, default limits) and sets
 * opts->struct_size = struct_size. Pass sizeof(daas_options): the size the caller's header
 * declares, so a library newer than the header never writes past the caller's struct.
 * Errors: DAAS_INVALID_ARGUMENT (opts NULL, struct_size smaller than the first version of the
 * struct or larger than 4096). */
DAAS_EXPORT int daas_options_init(daas_options* opts, size_t struct_size);

/* Opens (or creates, see create_if_missing) a database and stores its handle in *out; on failure
 * *out is set to NULL. Release with daas_db_close.
 * Errors: DAAS_INVALID_ARGUMENT (NULL argument, struct_size not set by daas_options_init, dir NULL
 * with dir_len > 0, dir with a NUL byte, a limit above its ceiling), DAAS_NOT_SUPPORTED (options
 * from a newer daas.h setting fields this library does not know), DAAS_NOT_FOUND (no database and
 * create_if_missing is 0), DAAS_BUSY (the directory is open elsewhere), DAAS_CORRUPTION (naming the
 * file and byte offset), DAAS_IO_ERROR. */
DAAS_EXPORT int daas_db_open(const daas_options* opts, daas_db** out);

/* Writes a checkpoint of everything changed, releases the directory and frees db. The handle and
 * all its collection handles are invalid afterwards, whatever the status: the status only reports
 * whether the final checkpoint succeeded. NULL is a no-op returning DAAS_OK.
 * Errors: DAAS_IO_ERROR (the checkpoint failed; writes since the last checkpoint are in the WAL),
 * or the sticky write error that made the database read-only.
 * Requires: no other call on db or its collections in progress or started afterwards. */
DAAS_EXPORT int daas_db_close(daas_db* db);

/* Writes every shard changed since the last checkpoint (a no-op for in-memory databases).
 * Errors: DAAS_INVALID_ARGUMENT (db NULL), DAAS_IO_ERROR. Thread-safe. */
DAAS_EXPORT int daas_db_checkpoint(daas_db* db);

/* ---- Collections ---- */

/* Creates a collection and stores its handle (borrowed from db) in *out.
 * On failure *out is set to NULL. Names: 1 to 128 bytes of letters, digits and '_', starting with
 * a letter.
 * Errors: DAAS_INVALID_ARGUMENT (NULL argument, bad name), DAAS_ALREADY_EXISTS, DAAS_IO_ERROR.
 * Thread-safe. */
DAAS_EXPORT int daas_db_create_collection(daas_db* db, const char* name, size_t name_len,
                                          daas_collection** out);

/* Looks a collection up by name and stores its handle (borrowed from db) in *out. The same name
 * gives the same handle until it is dropped or renamed. On failure *out is set to NULL.
 * Errors: DAAS_INVALID_ARGUMENT (NULL argument), DAAS_NOT_FOUND. Thread-safe. */
DAAS_EXPORT int daas_db_get_collection(daas_db* db, const char* name, size_t name_len,
                                       daas_collection** out);

/* Removes a collection and all its documents. Its handle stays valid and fails with DAAS_NOT_FOUND.
 * Errors: DAAS_INVALID_ARGUMENT (NULL argument; another collection's schema has a ref to it),
 * DAAS_NOT_FOUND, DAAS_IO_ERROR.
 * Thread-safe. */
DAAS_EXPORT int daas_db_drop_collection(daas_db* db, const char* name, size_t name_len);

/* Renames a collection; its handle follows it.
 * Errors: DAAS_INVALID_ARGUMENT (NULL argument, bad new name, a schema has a ref to it),
 * DAAS_NOT_FOUND (no collection
 * `from`), DAAS_ALREADY_EXISTS (`to` is taken), DAAS_IO_ERROR. Thread-safe. */
DAAS_EXPORT int daas_db_rename_collection(daas_db* db, const char* from, size_t from_len,
                                          const char* to, size_t to_len);

/* Called once per collection name, in ascending byte order. name[len] is a NUL. Return 0 to go on,
 * nonzero to stop. */
typedef int (*daas_name_fn)(void* ctx, const char* name, size_t len);

/* Calls fn(ctx, name, len) for each collection. Stopping early is not an error.
 * Errors: DAAS_INVALID_ARGUMENT (db or fn NULL). Thread-safe. */
DAAS_EXPORT int daas_db_list_collections(daas_db* db, daas_name_fn fn, void* ctx);

/* ---- Documents ---- */

/* Stores a new document (MessagePack map) and writes its ID to *out_id.
 * Errors: DAAS_INVALID_ARGUMENT (NULL argument, not a well-formed MessagePack map, naming the byte
 * offset), DAAS_RESOURCE_EXHAUSTED (a document limit), DAAS_NOT_FOUND (collection dropped),
 * DAAS_IO_ERROR (WAL write failed). Thread-safe. */
DAAS_EXPORT int daas_collection_insert(daas_collection* coll, const uint8_t* doc, size_t len,
                                       daas_id* out_id);

/* daas_collection_insert with the document given as JSON text of one object.
 * Errors: as daas_collection_insert; DAAS_INVALID_ARGUMENT also for bad JSON ("invalid JSON at
 * byte N: ..."). Thread-safe. */
DAAS_EXPORT int daas_collection_insert_json(daas_collection* coll, const char* json, size_t len,
                                            daas_id* out_id);

/* Copies the document's MessagePack bytes to buf (buffer protocol, see the top of this file).
 * Errors: DAAS_INVALID_ARGUMENT (NULL argument, buf NULL with cap > 0, null ID), DAAS_NOT_FOUND
 * (no live document with this ID in this collection: a guessed, stale, deleted or other
 * collection's ID; or the collection was dropped), DAAS_RESOURCE_EXHAUSTED (buffer too small:
 * *len is the size needed).
 * Thread-safe. */
DAAS_EXPORT int daas_collection_get(daas_collection* coll, const daas_id* id, uint8_t* buf,
                                    size_t cap, size_t* len);

/* daas_collection_get returning compact JSON text, NUL-terminated (buffer protocol: when cap is
 * too small, *len is the size needed, the NUL included; on success *len excludes the NUL).
 * Errors: as daas_collection_get. Thread-safe. */
DAAS_EXPORT int daas_collection_get_json(daas_collection* coll, const daas_id* id, char* buf,
                                         size_t cap, size_t* len);

/* What DaaS keeps beside each document's bytes (DocumentMeta in daas.hpp): the LSN of the commit
 * that last wrote it, which is its version for the conditional writes below, and the Unix times in
 * milliseconds of its insert and last write (0: not known, for documents stored by DaaS 0.2). */
typedef struct daas_doc_meta {
  uint64_t version;
  int64_t created_ms;
  int64_t updated_ms;
} daas_doc_meta;

/* daas_collection_get, and the document's version and times into *meta, which is written whenever
 * the document exists (also when buf is too small: a caller after the version alone may pass
 * buf NULL and cap 0, and gets DAAS_RESOURCE_EXHAUSTED with *meta filled).
 * Errors: as daas_collection_get; DAAS_INVALID_ARGUMENT also for a NULL meta. Thread-safe. */
DAAS_EXPORT int daas_collection_get_meta(daas_collection* coll, const daas_id* id, uint8_t* buf,
                                         size_t cap, size_t* len, daas_doc_meta* meta);

/* Conditional writes: replace, patch and delete applied only if the document's version is still
 * expected_version (from daas_collection_get_meta), checked atomically with the write.
 * Errors: DAAS_CONFLICT when the version differs (the message names the current one; nothing
 * changed), and those of the unconditional forms. Thread-safe. */
DAAS_EXPORT int daas_collection_replace_if(daas_collection* coll, const daas_id* id,
                                           uint64_t expected_version, const uint8_t* doc,
                                           size_t len);
DAAS_EXPORT int daas_collection_patch_if(daas_collection* coll, const daas_id* id,
                                         uint64_t expected_version, const uint8_t* patch,
                                         size_t len);
DAAS_EXPORT int daas_collection_delete_if(daas_collection* coll, const daas_id* id,
                                          uint64_t expected_version);

/* Replaces the whole document.
 * Errors: DAAS_INVALID_ARGUMENT (NULL argument, null ID, bad document), DAAS_NOT_FOUND,
 * DAAS_RESOURCE_EXHAUSTED (a document limit), DAAS_IO_ERROR. Thread-safe. */
DAAS_EXPORT int daas_collection_replace(daas_collection* coll, const daas_id* id,
                                        const uint8_t* doc, size_t len);
/* daas_collection_replace with JSON text; DAAS_INVALID_ARGUMENT also for bad JSON. */
DAAS_EXPORT int daas_collection_replace_json(daas_collection* coll, const daas_id* id,
                                             const char* json, size_t len);

/* Applies a JSON Merge Patch (RFC 7386) given as a MessagePack map: nil removes a field, maps
 * merge, anything else replaces.
 * Errors: as daas_collection_replace. Thread-safe. */
DAAS_EXPORT int daas_collection_patch(daas_collection* coll, const daas_id* id,
                                      const uint8_t* patch, size_t len);
/* daas_collection_patch with the patch as JSON text of an object (null removes a field). */
DAAS_EXPORT int daas_collection_patch_json(daas_collection* coll, const daas_id* id,
                                           const char* json, size_t len);

/* Deletes the document.
 * Errors: DAAS_INVALID_ARGUMENT (NULL argument, null ID), DAAS_NOT_FOUND (no such document, or
 * the collection was dropped), DAAS_IO_ERROR. Thread-safe. */
DAAS_EXPORT int daas_collection_delete(daas_collection* coll, const daas_id* id);

/* Writes the number of documents to *count, as of one instant.
 * Errors: DAAS_INVALID_ARGUMENT (NULL argument), DAAS_NOT_FOUND (dropped). */
DAAS_EXPORT int daas_collection_count(daas_collection* coll, uint64_t* count);

/* Called once per document with its ID and MessagePack bytes; both are valid only during the call.
 * Return 0 to go on, nonzero to stop. Must not write to the database. */
typedef int (*daas_doc_fn)(void* ctx, const daas_id* id, const uint8_t* doc, size_t len);

/* Visits every document in storage order (shard, then slot). Each shard (65,536 documents) is seen
 * at one instant, shard after shard. Stopping early is not an error.
 * Errors: DAAS_INVALID_ARGUMENT (coll or fn NULL), DAAS_NOT_FOUND (dropped).
 * Thread-safe. */
DAAS_EXPORT int daas_collection_scan(daas_collection* coll, daas_doc_fn fn, void* ctx);

/* As daas_collection_scan, but calls fn only for documents on which `filter` (UTF-8, filter_len
 * bytes, not NUL-terminated) is true: an expression such as `age > 50 && country = "FR"`
 * (docs/expressions.md). The filter is compiled once per call.
 * Errors: DAAS_INVALID_ARGUMENT (coll or fn NULL, filter NULL with filter_len > 0, or a filter
 * that does not parse: the message names the byte and what was expected), DAAS_NOT_FOUND
 * (dropped), DAAS_RESOURCE_EXHAUSTED (an expression limit). Thread-safe. */
DAAS_EXPORT int daas_collection_find(daas_collection* coll, const char* filter, size_t filter_len,
                                     daas_doc_fn fn, void* ctx);

/* Gives the collection a schema: schema_json is one collection's definition from a schema file
 * (docs/schema.md), e.g. {"version":1,"fields":{"age":{"type":"int","min":0}}}; length 0 removes
 * the schema. Every stored document is checked first; writes are checked from then on (unique
 * keys and ref targets included), and a violating write fails with DAAS_SCHEMA_VIOLATION whose
 * daas_last_error_detail() lists every violation. A version that rewrites stored documents (a
 * new field with a default, a rename, a conversion) migrates them before returning; a crash midway
 * is resumed at the next open. Errors: DAAS_INVALID_ARGUMENT (a bad definition, naming its JSON
 * path; a version not above the current one), DAAS_SCHEMA_VIOLATION (stored documents break it;
 * nothing changed), DAAS_NOT_FOUND (dropped), DAAS_IO_ERROR. Thread-safe. */
DAAS_EXPORT int daas_collection_set_schema(daas_collection* coll, const char* schema_json,
                                           size_t len);

/* The schema's canonical JSON into buf (buffer protocol, NUL-terminated: when cap is too small,
 * *len is the size needed, the NUL included; on success *len excludes the NUL); "" when the
 * collection has none. Errors: DAAS_INVALID_ARGUMENT (NULL argument, buf NULL with cap > 0),
 * DAAS_NOT_FOUND (dropped), DAAS_RESOURCE_EXHAUSTED (cap too small). Thread-safe. */
DAAS_EXPORT int daas_collection_get_schema(daas_collection* coll, char* buf, size_t cap,
                                           size_t* len);

/* ---- Batches: several writes, across collections of one database, applied atomically ---- */

/* Creates an empty batch in *out (NULL on failure). Release with daas_batch_free.
 * Errors: DAAS_INVALID_ARGUMENT (out NULL). */
DAAS_EXPORT int daas_batch_new(daas_batch** out);

/* Frees the batch. NULL is a no-op. Returns nothing. */
DAAS_EXPORT void daas_batch_free(daas_batch* batch);

/* Removes every operation, so the batch can be reused.
 * Errors: DAAS_INVALID_ARGUMENT (batch NULL). */
DAAS_EXPORT int daas_batch_clear(daas_batch* batch);

/* Writes the number of operations in the batch to *count.
 * Errors: DAAS_INVALID_ARGUMENT (NULL argument). */
DAAS_EXPORT int daas_batch_count(const daas_batch* batch, size_t* count);

/* Append one operation; the bytes are copied. Documents are checked when the batch is written, not
 * here, except that the _json variants convert (and so check the JSON) now and leave the batch
 * unchanged on error.
 * Errors: DAAS_INVALID_ARGUMENT (NULL argument, null ID, bad JSON), DAAS_RESOURCE_EXHAUSTED (_json:
 * a document limit). Not thread-safe (per batch). */
DAAS_EXPORT int daas_batch_insert(daas_batch* batch, daas_collection* coll, const uint8_t* doc,
                                  size_t len);
DAAS_EXPORT int daas_batch_insert_json(daas_batch* batch, daas_collection* coll, const char* json,
                                       size_t len);
DAAS_EXPORT int daas_batch_replace(daas_batch* batch, daas_collection* coll, const daas_id* id,
                                   const uint8_t* doc, size_t len);
DAAS_EXPORT int daas_batch_replace_json(daas_batch* batch, daas_collection* coll, const daas_id* id,
                                        const char* json, size_t len);
DAAS_EXPORT int daas_batch_patch(daas_batch* batch, daas_collection* coll, const daas_id* id,
                                 const uint8_t* patch, size_t len);
DAAS_EXPORT int daas_batch_patch_json(daas_batch* batch, daas_collection* coll, const daas_id* id,
                                      const char* json, size_t len);
DAAS_EXPORT int daas_batch_delete(daas_batch* batch, daas_collection* coll, const daas_id* id);

/* Applies every operation of the batch, in order, or none of them: if one fails (a missing
 * document, a bad document, a dropped collection) nothing is applied and the error names the
 * operation's index. Readers see all of it or none of it. The batch is left unchanged.
 * The IDs of the batch's inserts, in order, are written to inserted_ids (ids_cap entries); the
 * number of inserts is written to *n_inserted when n_inserted is not NULL. inserted_ids may be NULL
 * (with ids_cap 0) to discard the IDs. If inserted_ids is not NULL and ids_cap is smaller than the
 * number of inserts, nothing is applied, *n_inserted is set to the number needed and the call
 * fails with DAAS_RESOURCE_EXHAUSTED (ids_cap >= the batch's operation count always suffices).
 * Errors: DAAS_INVALID_ARGUMENT (NULL argument, inserted_ids NULL with ids_cap > 0, a bad
 * document, a collection of another database), DAAS_NOT_FOUND (a missing document or dropped
 * collection), DAAS_RESOURCE_EXHAUSTED (ids_cap too small, or a document limit), DAAS_IO_ERROR. An
 * empty batch succeeds and does nothing. Thread-safe for db; the batch must not be modified during
 * the call. */
DAAS_EXPORT int daas_db_write(daas_db* db, const daas_batch* batch, daas_id* inserted_ids,
                              size_t ids_cap, size_t* n_inserted);

/* daas_db_write with per-call flags: the low two bits are a DAAS_SYNC_* mode for this write
 * (DAAS_SYNC_DEFAULT: the database's). Other bits must be 0 (DAAS_INVALID_ARGUMENT).
 * Errors: as daas_db_write. Thread-safe as daas_db_write. */
DAAS_EXPORT int daas_db_write_flags(daas_db* db, const daas_batch* batch, uint32_t flags,
                                    daas_id* inserted_ids, size_t ids_cap, size_t* n_inserted);

/* Returns once every write acknowledged before the call is durable (fdatasync'ed), whatever sync
 * mode it was written with. A no-op in memory.
 * Errors: DAAS_INVALID_ARGUMENT (db NULL), DAAS_IO_ERROR (the sticky error). Thread-safe. */
DAAS_EXPORT int daas_db_sync(daas_db* db);

/* Reads n documents, of any collections of db, as of one instant. Their bytes are written back to
 * back into buf (buffer protocol over the total: when cap is too small, nothing is copied and *len
 * is the total needed); offsets[i] and lengths[i] give document i's place in buf, and lengths[i] is
 * DAAS_ABSENT when it does not exist. colls[i] and ids[i] name document i.
 * At most 16,777,216 documents a call.
 * Errors: DAAS_INVALID_ARGUMENT (NULL argument, a NULL collection or null ID, a collection of
 * another database, n above the limit), DAAS_RESOURCE_EXHAUSTED (buffer too small, or the
 * documents add up to more than the database's max_get_many_bytes, 1 GiB). Thread-safe. */
#define DAAS_ABSENT ((size_t)-1)
DAAS_EXPORT int daas_db_get_many(daas_db* db, size_t n, daas_collection* const* colls,
                                 const daas_id* ids, uint8_t* buf, size_t cap, size_t* len,
                                 size_t* offsets, size_t* lengths);

/* Sizes of the log and checkpoint on disk and the LSNs that say how far each reaches (DatabaseStats
 * in daas.hpp); all zero in memory but visible_lsn, which counts commits. */
typedef struct daas_db_stats {
  uint64_t visible_lsn;            /* the LSN of the latest commit */
  uint64_t durable_lsn;            /* every commit up to it is fdatasync'ed */
  uint64_t checkpoint_lsn;         /* every commit up to it is in the shard files */
  uint64_t log_segments;           /* write-ahead log files */
  uint64_t log_bytes;              /* their size */
  uint64_t checkpoint_files;       /* shard files the manifest names */
  uint64_t checkpoint_bytes;       /* their size */
  uint64_t cold_shards;            /* shards not loaded yet (open is lazy) */
  uint64_t snapshots_open;         /* read-only transactions not ended */
  uint64_t snapshot_history_bytes; /* old versions kept for them */
} daas_db_stats;
/* Fills *out. struct_size is sizeof(daas_db_stats) as the caller compiled it: only that many
 * bytes are written (later versions add fields at the end).
 * Errors: DAAS_INVALID_ARGUMENT (NULL argument, struct_size 0). Thread-safe. */
DAAS_EXPORT int daas_db_stats_get(daas_db* db, daas_db_stats* out, size_t struct_size);

typedef struct daas_collection_stats {
  uint64_t documents;
  uint64_t document_bytes; /* sum of the documents' MessagePack sizes */
  uint64_t memory_bytes;   /* memory held for them */
  uint64_t shards;
} daas_collection_stats;
/* Fills *out as daas_db_stats_get does. Errors: DAAS_INVALID_ARGUMENT, DAAS_NOT_FOUND (dropped). */
DAAS_EXPORT int daas_collection_stats_get(daas_collection* coll, daas_collection_stats* out,
                                          size_t struct_size);

/* Database::Compact: gives space back after mass deletes (moves live documents into fresh memory,
 * checkpoints, deletes the covered log). Errors: DAAS_INVALID_ARGUMENT, DAAS_IO_ERROR. */
DAAS_EXPORT int daas_db_compact(daas_db* db);

/* Database::Backup: a consistent copy of the database into dir (created; it must not hold a
 * database) while writes go on. Errors: DAAS_INVALID_ARGUMENT, DAAS_ALREADY_EXISTS, DAAS_BUSY,
 * DAAS_CORRUPTION, DAAS_NOT_SUPPORTED (in memory), DAAS_IO_ERROR. Thread-safe. */
DAAS_EXPORT int daas_db_backup(daas_db* db, const char* dir, size_t dir_len);

/* CheckDatabase (daas.hpp): checks the database in dir without opening it (what `daas check`
 * does). *out gets the counts (struct_size as for daas_db_stats_get); problems gets every problem
 * found, one per line, NUL-terminated, with the buffer protocol of daas_collection_get_json (*len
 * is the text's length; DAAS_RESOURCE_EXHAUSTED when cap is too small, the counts filled anyway),
 * or, NULL with cap 0, nothing. out->problems == 0: the database is sound.
 * Errors: DAAS_INVALID_ARGUMENT, DAAS_NOT_FOUND, DAAS_IO_ERROR, DAAS_CORRUPTION (files but no
 * MANIFEST: nothing to check against). */
typedef struct daas_check_report {
  uint64_t collections;
  uint64_t shards;
  uint64_t shard_files;          /* shards with a checkpoint file */
  uint64_t checkpoint_documents; /* documents in those files */
  uint64_t log_segments;
  uint64_t log_records;
  uint64_t log_bytes;
  uint64_t last_lsn;  /* of the last good log record */
  uint64_t torn_tail; /* 1: the log ends in a commit cut short (never acknowledged; open cuts it) */
  uint64_t problems;  /* how many problems were found */
} daas_check_report;
DAAS_EXPORT int daas_check(const char* dir, size_t dir_len, daas_check_report* out,
                           size_t struct_size, char* problems, size_t cap, size_t* len);

/* RestoreBackup: copies the backup in backup_dir into dir, after checking every file of it.
 * Errors: DAAS_INVALID_ARGUMENT, DAAS_ALREADY_EXISTS, DAAS_BUSY, DAAS_NOT_FOUND, DAAS_CORRUPTION,
 * DAAS_IO_ERROR. */
DAAS_EXPORT int daas_restore_backup(const char* backup_dir, size_t backup_dir_len, const char* dir,
                                    size_t dir_len);

/* Applies a schema file (JSON text, docs/schema.md "Schema files"): creates the collections it
 * names that are missing and sets every schema it declares, all or nothing (Database::
 * ApplySchemaFile). Errors: DAAS_INVALID_ARGUMENT (the file, naming the JSON path),
 * DAAS_SCHEMA_VIOLATION (a stored document breaks a new schema; nothing changed), DAAS_IO_ERROR.
 * Thread-safe. */
DAAS_EXPORT int daas_db_apply_schema_file(daas_db* db, const char* json, size_t len);

/* Every collection's schema as one schema file, and as TypeScript declarations (`daas types`),
 * NUL-terminated text (buffer protocol as daas_collection_get_json).
 * Errors: DAAS_INVALID_ARGUMENT (NULL argument), DAAS_RESOURCE_EXHAUSTED (buffer too small). */
DAAS_EXPORT int daas_db_get_schema_file(daas_db* db, char* buf, size_t cap, size_t* len);
DAAS_EXPORT int daas_db_types(daas_db* db, char* buf, size_t cap, size_t* len);

/* ---- Transactions (daas::Transaction in daas.hpp; docs/transactions.md) ----
 *
 * Reads and writes across collections, then commit (all or nothing) or free (rolled back).
 * Serializable: the commit fails with DAAS_CONFLICT, applying nothing, when anything the
 * transaction read changed meanwhile; run it again. A transaction reads its own writes. One thread
 * at a time per transaction; it must not outlive its db. */
typedef struct daas_txn daas_txn;

/* A read-only transaction reads one snapshot of the whole database (every commit up to
 * daas_txn_snapshot_lsn, none after) without blocking writers, and its commit always succeeds.
 * Writes fail with DAAS_INVALID_ARGUMENT. */
#define DAAS_TXN_READ_ONLY 0x4u

/* Starts a transaction in *out (NULL on failure); release with daas_txn_free. flags: a DAAS_SYNC_*
 * mode for its commit in the low two bits, | DAAS_TXN_READ_ONLY; other bits must be 0. A
 * transaction older than 60 s is rolled back by its next call (DAAS_ABORTED).
 * Errors: DAAS_INVALID_ARGUMENT (NULL argument, unknown flags), DAAS_ABORTED (db closed). */
DAAS_EXPORT int daas_txn_begin(daas_db* db, uint32_t flags, daas_txn** out);

/* The document as the transaction sees it (its own write, or the committed one, remembered for
 * the commit's check), buffer protocol as daas_collection_get.
 * Errors: as daas_collection_get, DAAS_CONFLICT (the document changed since this transaction read
 * it), DAAS_ABORTED (the transaction ended or is too old). */
DAAS_EXPORT int daas_txn_get(daas_txn* txn, daas_collection* coll, const daas_id* id, uint8_t* buf,
                             size_t cap, size_t* len);
DAAS_EXPORT int daas_txn_get_json(daas_txn* txn, daas_collection* coll, const daas_id* id,
                                  char* buf, size_t cap, size_t* len);
/* daas_db_get_many as this transaction sees the documents (Transaction::GetMany in daas.hpp): its
 * own writes, else the committed documents, remembered for the commit's check; a read-only
 * transaction reads its snapshot. The reads are remembered also when buf was too small
 * (DAAS_RESOURCE_EXHAUSTED): a call again with a bigger buf must find the same versions, or it
 * fails with DAAS_CONFLICT. Not thread-safe, as every call on one transaction.
 * Errors: as daas_db_get_many, DAAS_CONFLICT, DAAS_ABORTED. */
DAAS_EXPORT int daas_txn_get_many(daas_txn* txn, size_t n, daas_collection* const* colls,
                                  const daas_id* ids, uint8_t* buf, size_t cap, size_t* len,
                                  size_t* offsets, size_t* lengths);
/* Buffers an insert; its ID is known at once (*out_id). Errors: as daas_collection_insert,
 * DAAS_ABORTED, DAAS_INVALID_ARGUMENT (read-only), DAAS_RESOURCE_EXHAUSTED (100,000 writes or 64
 * MiB of documents in one transaction). */
DAAS_EXPORT int daas_txn_insert(daas_txn* txn, daas_collection* coll, const uint8_t* doc,
                                size_t len, daas_id* out_id);
DAAS_EXPORT int daas_txn_insert_json(daas_txn* txn, daas_collection* coll, const char* json,
                                     size_t len, daas_id* out_id);
/* Buffer a replace, merge patch or delete of a document that exists for the transaction
 * (DAAS_NOT_FOUND otherwise). Errors: as the daas_collection_ forms, and as daas_txn_insert. */
DAAS_EXPORT int daas_txn_replace(daas_txn* txn, daas_collection* coll, const daas_id* id,
                                 const uint8_t* doc, size_t len);
DAAS_EXPORT int daas_txn_replace_json(daas_txn* txn, daas_collection* coll, const daas_id* id,
                                      const char* json, size_t len);
DAAS_EXPORT int daas_txn_patch(daas_txn* txn, daas_collection* coll, const daas_id* id,
                               const uint8_t* patch, size_t len);
DAAS_EXPORT int daas_txn_patch_json(daas_txn* txn, daas_collection* coll, const daas_id* id,
                                    const char* json, size_t len);
DAAS_EXPORT int daas_txn_delete(daas_txn* txn, daas_collection* coll, const daas_id* id);
/* daas_collection_find as the transaction sees the collection (its own writes included); fn runs
 * with no lock held and may call the transaction. Errors: as daas_collection_find, DAAS_ABORTED. */
DAAS_EXPORT int daas_txn_find(daas_txn* txn, daas_collection* coll, const char* filter,
                              size_t filter_len, daas_doc_fn fn, void* ctx);
/* Applies every write at once, or nothing; the transaction has ended afterwards either way (free
 * it). *lsn (may be NULL) receives the commit's LSN: 0 when nothing was applied (and for a
 * transaction that wrote nothing); nonzero also when the writes were applied but making them
 * durable failed (DAAS_IO_ERROR; the database is then read-only).
 * Errors: DAAS_CONFLICT (something read changed: run it again), DAAS_SCHEMA_VIOLATION,
 * DAAS_NOT_FOUND, DAAS_ABORTED, DAAS_IO_ERROR, and the errors of daas_db_write. */
DAAS_EXPORT int daas_txn_commit(daas_txn* txn, uint64_t* lsn);
/* A read-only transaction's snapshot LSN (daas_feed_open with it as after_lsn continues exactly
 * where the snapshot ends); 0 for a read-write transaction and for NULL. */
DAAS_EXPORT uint64_t daas_txn_snapshot_lsn(const daas_txn* txn);
/* Frees the transaction, rolling it back if it did not commit. NULL is a no-op. */
DAAS_EXPORT void daas_txn_free(daas_txn* txn);

/* ---- Cursors (daas::Cursor in daas.hpp) ----
 *
 * A pull cursor over a collection's documents in ID order. It holds no lock between calls: the
 * caller may write to the database between two daas_cursor_next calls (no callback runs under a
 * lock, unlike daas_collection_scan). Each document is returned at most once; see daas.hpp for what
 * concurrent writes mean for it. One thread at a time per cursor; it must not outlive its db. */
typedef struct daas_cursor daas_cursor;

/* Opens a cursor over the documents of coll matching filter (an expression; filter_len 0: all),
 * after the document `after` (NULL: from the start). Release with daas_cursor_close.
 * Errors: DAAS_INVALID_ARGUMENT (NULL argument, a filter that does not parse), DAAS_NOT_FOUND
 * (dropped). */
DAAS_EXPORT int daas_cursor_open(daas_collection* coll, const char* filter, size_t filter_len,
                                 const daas_id* after, daas_cursor** out);
/* daas_cursor_open over a read-only transaction's snapshot: the whole walk sees the collection as
 * of daas_txn_snapshot_lsn. Close it before freeing txn; once the transaction ended, its next call
 * fails with DAAS_ABORTED. Errors: as daas_cursor_open, DAAS_INVALID_ARGUMENT (a read-write
 * transaction), DAAS_ABORTED (the transaction ended), DAAS_CONFLICT (its snapshot expired:
 * Options::snapshot_history_bytes; run it again). */
DAAS_EXPORT int daas_txn_cursor_open(daas_txn* txn, daas_collection* coll, const char* filter,
                                     size_t filter_len, const daas_id* after, daas_cursor** out);

/* The next document, zero-copy: *doc points into the cursor's buffer and stays valid until the
 * next call on this cursor or daas_cursor_close. *got is 1, or 0 at the end (then *id, *doc and
 * *len are left alone). Errors: DAAS_INVALID_ARGUMENT (NULL argument), DAAS_NOT_FOUND (the
 * collection was dropped), DAAS_RESOURCE_EXHAUSTED (the filter's evaluation limits). */
DAAS_EXPORT int daas_cursor_next(daas_cursor* cursor, daas_id* id, const uint8_t** doc, size_t* len,
                                 int* got);

/* The next document copied into buf (buffer protocol; when cap is too small the cursor stays on
 * this document, so a retry with *len bytes gets it). Errors: as daas_cursor_next, and
 * DAAS_RESOURCE_EXHAUSTED (buffer too small). */
DAAS_EXPORT int daas_cursor_next_into(daas_cursor* cursor, daas_id* id, uint8_t* buf, size_t cap,
                                      size_t* len, int* got);

/* Frees the cursor. NULL is a no-op. */
DAAS_EXPORT void daas_cursor_close(daas_cursor* cursor);

/* ---- The change feed (daas::ChangeFeed in daas.hpp) ----
 *
 * Every commit of the database, in LSN order, one change (document) at a time. It never slows
 * commits: a subscriber further behind than the database keeps (daas_options: retained in memory,
 * 64 MiB) gets DAAS_RESOURCE_EXHAUSTED ("too far behind") and must resync. One thread at a time
 * per feed; it must not outlive its db. */
typedef struct daas_feed daas_feed;

#define DAAS_FEED_FROM_NOW ((uint64_t)-1) /* after_lsn: from the subscription on */
#define DAAS_FEED_BEFORE_IMAGES 0x1u      /* flags: capture each change's before-image */

#define DAAS_CHANGE_INSERT 1u
#define DAAS_CHANGE_UPDATE 2u
#define DAAS_CHANGE_DELETE 3u

typedef struct daas_change {
  uint64_t lsn;    /* the commit's LSN (the document's version after insert / update) */
  int64_t time_ms; /* the commit's time; 0 when not known */
  uint32_t op;     /* DAAS_CHANGE_* */
  daas_id id;
  const char* collection; /* the collection's name, not NUL-terminated */
  size_t collection_len;
  const uint8_t* doc; /* the document after an insert or update (MessagePack); NULL for a delete */
  size_t doc_len;
  const uint8_t* before; /* with DAAS_FEED_BEFORE_IMAGES, the document before; else NULL */
  size_t before_len;
} daas_change;

/* Subscribes to db's commits after after_lsn (DAAS_FEED_FROM_NOW: from now on; an older LSN is
 * read back from memory, then from the log since the last checkpoint). Release with
 * daas_feed_close.
 * Errors: DAAS_INVALID_ARGUMENT (NULL argument, unknown flags, an LSN past the last commit),
 * DAAS_RESOURCE_EXHAUSTED (after_lsn too far back), DAAS_ABORTED (closed), DAAS_IO_ERROR. */
DAAS_EXPORT int daas_feed_open(daas_db* db, uint64_t after_lsn, uint32_t flags, daas_feed** out);

/* The next change into *out, *got = 1; or, when none comes within wait_ms, *got = 0. Zero-copy:
 * out's pointers stay valid until the next call on this feed or daas_feed_close.
 * Errors: DAAS_INVALID_ARGUMENT (NULL argument), DAAS_RESOURCE_EXHAUSTED (too far behind),
 * DAAS_ABORTED (the database closed). */
DAAS_EXPORT int daas_feed_next(daas_feed* feed, uint32_t wait_ms, daas_change* out, int* got);

/* The LSN of the last commit delivered whole (resume after it). Errors: DAAS_INVALID_ARGUMENT. */
DAAS_EXPORT int daas_feed_position(daas_feed* feed, uint64_t* lsn);

/* Ends the subscription. NULL is a no-op. */
DAAS_EXPORT void daas_feed_close(daas_feed* feed);

/* ---- Conversions (no database needed) ---- */

/* Converts JSON text of one object to document bytes (buffer protocol). No document limits are
 * applied beyond the hard ceilings (2^31-1 bytes, depth 1000): a database checks its own limits
 * when the document is stored.
 * Errors: DAAS_INVALID_ARGUMENT (NULL argument, "invalid JSON at byte N: ..."),
 * DAAS_RESOURCE_EXHAUSTED (buffer too small, *len > cap; or a ceiling, *len == 0). */
DAAS_EXPORT int daas_document_from_json(const char* json, size_t json_len, uint8_t* buf, size_t cap,
                                        size_t* len);

/* Converts document bytes to compact JSON text, NUL-terminated (buffer protocol: when cap is too
 * small, *len is the size needed, the NUL included; on success *len excludes the NUL).
 * Errors: DAAS_INVALID_ARGUMENT (NULL argument, not a well-formed document),
 * DAAS_RESOURCE_EXHAUSTED (buffer too small). */
DAAS_EXPORT int daas_document_to_json(const uint8_t* doc, size_t doc_len, char* buf, size_t cap,
                                      size_t* len);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* DAAS_DAAS_H_ */
