/* Tests the C ABI (include/daas/daas.h) from plain C11, linked only against libdaas.so: every
 * function, its success path and its error paths (NULL arguments, bad IDs, small buffers, missing
 * documents, batch atomicity, persistence across close and reopen, per-thread last error).
 *
 * Prints "capi: N passed, M failed" and exits non-zero when M > 0. */
#define _XOPEN_SOURCE 700 /* mkdtemp, nftw */

#include "daas/daas.h"

#include <ftw.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int g_passed = 0;
static int g_failed = 0;

#define CHECK(cond)                                                                              \
  do {                                                                                           \
    if (cond) {                                                                                  \
      ++g_passed;                                                                                \
    } else {                                                                                     \
      ++g_failed;                                                                                \
      fprintf(stderr, "%s:%d: CHECK(%s) failed; last error %s: %s\n", __FILE__, __LINE__, #cond, \
              daas_status_name(daas_last_error_code()), daas_last_error_message());              \
    }                                                                                            \
  } while (0)

/* Checks that `expr` returns `want`, and that the last error agrees with it. */
#define CHECK_RC(expr, want)                                                                     \
  do {                                                                                           \
    int rc_ = (expr);                                                                            \
    int want_ = (want);                                                                          \
    if (rc_ == want_ && daas_last_error_code() == want_ &&                                       \
        (want_ == DAAS_OK) == (daas_last_error_message()[0] == '\0')) {                          \
      ++g_passed;                                                                                \
    } else {                                                                                     \
      ++g_failed;                                                                                \
      fprintf(stderr, "%s:%d: %s returned %s, want %s; last error %s: %s\n", __FILE__, __LINE__, \
              #expr, daas_status_name(rc_), daas_status_name(want_),                             \
              daas_status_name(daas_last_error_code()), daas_last_error_message());              \
    }                                                                                            \
  } while (0)

#define CHECK_OK(expr) CHECK_RC(expr, DAAS_OK)

/* The last error message mentions `word`. */
#define CHECK_MSG(word) CHECK(strstr(daas_last_error_message(), (word)) != NULL)

#define S(lit) (lit), (sizeof(lit) - 1) /* a string literal as pointer + length */

/* {"a": 1} and {"a": 2} in MessagePack, written by hand. */
static const uint8_t kDocA1[] = {0x81, 0xa1, 'a', 0x01};
static const uint8_t kDocA2[] = {0x81, 0xa1, 'a', 0x02};
/* {"b": nil} as a merge patch: removes b. */
static const uint8_t kPatchDropB[] = {0x81, 0xa1, 'b', 0xc0};

static daas_db* OpenMemory(void) {
  daas_options opts;
  daas_db* db = NULL;
  if (daas_options_init(&opts, sizeof opts) != DAAS_OK) return NULL;
  if (daas_db_open(&opts, &db) != DAAS_OK) return NULL;
  return db;
}

/* Reads a document as JSON into a fixed buffer; returns the status. */
static int GetJson(daas_collection* c, const daas_id* id, char* out, size_t cap) {
  size_t len = 0;
  return daas_collection_get_json(c, id, out, cap, &len);
}

static void TestStatusAndErrors(void) {
  CHECK(strcmp(daas_status_name(DAAS_OK), "ok") == 0);
  CHECK(strcmp(daas_status_name(DAAS_INVALID_ARGUMENT), "invalid_argument") == 0);
  CHECK(strcmp(daas_status_name(DAAS_NOT_FOUND), "not_found") == 0);
  CHECK(strcmp(daas_status_name(DAAS_RESOURCE_EXHAUSTED), "resource_exhausted") == 0);
  CHECK(strcmp(daas_status_name(DAAS_INTERNAL), "internal") == 0);
  CHECK(strcmp(daas_status_name(15), "unknown") == 0);
  CHECK(strcmp(daas_status_name(-1), "unknown") == 0);

  /* A failure records code and message; the next successful call clears both. */
  daas_id id;
  CHECK_RC(daas_id_parse(S("short"), &id), DAAS_INVALID_ARGUMENT);
  CHECK(daas_last_error_code() == DAAS_INVALID_ARGUMENT);
  CHECK(strlen(daas_last_error_message()) > 0);
  /* Reading the last error does not clear it, nor does daas_status_name. */
  (void)daas_status_name(DAAS_OK);
  CHECK(daas_last_error_code() == DAAS_INVALID_ARGUMENT);
  daas_options opts;
  CHECK_OK(daas_options_init(&opts, sizeof opts));
  CHECK(daas_last_error_code() == DAAS_OK);
  CHECK(strcmp(daas_last_error_message(), "") == 0);
}

static void* OtherThread(void* arg) {
  daas_id id;
  int* ok = (int*)arg;
  /* This thread's failure is its own. */
  *ok = daas_last_error_code() == DAAS_OK &&
        daas_id_parse(S("!!!!!!!!!!!!!!!!!!!"), &id) == DAAS_INVALID_ARGUMENT &&
        daas_last_error_code() == DAAS_INVALID_ARGUMENT;
  return NULL;
}

static void TestLastErrorIsPerThread(void) {
  daas_options opts;
  CHECK_OK(daas_options_init(&opts, sizeof opts));
  pthread_t t;
  int other_ok = 0;
  CHECK(pthread_create(&t, NULL, OtherThread, &other_ok) == 0);
  CHECK(pthread_join(t, NULL) == 0);
  CHECK(other_ok);
  CHECK(daas_last_error_code() == DAAS_OK); /* untouched by the other thread's failure */
}

static void TestOptionsAndOpen(void) {
  daas_options opts;
  daas_db* db = (daas_db*)&opts; /* any non-NULL value: must be reset on failure */

  CHECK_RC(daas_options_init(NULL, sizeof opts), DAAS_INVALID_ARGUMENT);
  CHECK_MSG("opts");
  CHECK_RC(daas_options_init(&opts, 8), DAAS_INVALID_ARGUMENT);
  CHECK_RC(daas_options_init(&opts, (size_t)1 << 40), DAAS_INVALID_ARGUMENT); /* garbage size */
  CHECK_OK(daas_options_init(&opts, sizeof opts));
  CHECK(opts.struct_size == sizeof opts);
  CHECK(opts.dir == NULL && opts.dir_len == 0);
  CHECK(opts.create_if_missing == 1);
  CHECK(opts.max_document_bytes == 16u << 20);
  CHECK(opts.max_document_depth == 100);
  CHECK(opts.max_key_bytes == 1024);

  CHECK_RC(daas_db_open(NULL, &db), DAAS_INVALID_ARGUMENT);
  CHECK(db == NULL);
  CHECK_RC(daas_db_open(&opts, NULL), DAAS_INVALID_ARGUMENT);
  CHECK_MSG("out");

  daas_options bad = opts;
  bad.struct_size = 0; /* not initialized with daas_options_init */
  CHECK_RC(daas_db_open(&bad, &db), DAAS_INVALID_ARGUMENT);
  bad.struct_size = (size_t)-1;
  CHECK_RC(daas_db_open(&bad, &db), DAAS_INVALID_ARGUMENT);
  bad = opts;
  bad.dir = NULL;
  bad.dir_len = 5;
  CHECK_RC(daas_db_open(&bad, &db), DAAS_INVALID_ARGUMENT);
  CHECK_MSG("opts->dir");
  bad = opts;
  bad.dir = "a\0b";
  bad.dir_len = 3;
  CHECK_RC(daas_db_open(&bad, &db), DAAS_INVALID_ARGUMENT);
  bad = opts;
  bad.max_document_depth = 5000; /* above the ceiling of 1000 */
  CHECK_RC(daas_db_open(&bad, &db), DAAS_INVALID_ARGUMENT);
  CHECK(db == NULL);

  /* Options from a newer header: a longer struct is fine while the unknown tail is zero. */
  struct {
    daas_options base;
    uint64_t future_field;
  } newer;
  CHECK_OK(daas_options_init(&newer.base, sizeof newer));
  CHECK(newer.base.struct_size == sizeof newer && newer.future_field == 0);
  CHECK_OK(daas_db_open(&newer.base, &db));
  CHECK(db != NULL);
  CHECK_OK(daas_db_close(db));
  newer.future_field = 7;
  CHECK_RC(daas_db_open(&newer.base, &db), DAAS_NOT_SUPPORTED);

  CHECK_OK(daas_db_close(NULL));
  CHECK_RC(daas_db_checkpoint(NULL), DAAS_INVALID_ARGUMENT);

  /* In-memory checkpoint is a no-op. */
  CHECK_OK(daas_db_open(&opts, &db));
  CHECK_OK(daas_db_checkpoint(db));
  CHECK_OK(daas_db_close(db));
}

static void TestIds(void) {
  daas_db* db = OpenMemory();
  CHECK(db != NULL);
  daas_collection* c = NULL;
  CHECK_OK(daas_db_create_collection(db, S("ids"), &c));
  daas_id id;
  CHECK_OK(daas_collection_insert(c, kDocA1, sizeof kDocA1, &id));

  char text[20];
  memset(text, 'x', sizeof text);
  CHECK_OK(daas_id_to_string(&id, text));
  CHECK(strlen(text) == DAAS_ID_TEXT_LEN);
  daas_id parsed;
  CHECK_OK(daas_id_parse(text, DAAS_ID_TEXT_LEN, &parsed));
  CHECK(memcmp(&parsed, &id, sizeof id) == 0);

  CHECK_RC(daas_id_to_string(NULL, text), DAAS_INVALID_ARGUMENT);
  CHECK_MSG("id");
  CHECK_RC(daas_id_to_string(&id, NULL), DAAS_INVALID_ARGUMENT);
  daas_id null_id;
  memset(&null_id, 0, sizeof null_id);
  CHECK_RC(daas_id_to_string(&null_id, text), DAAS_INVALID_ARGUMENT);

  CHECK_RC(daas_id_parse(NULL, 19, &parsed), DAAS_INVALID_ARGUMENT);
  CHECK_RC(daas_id_parse(text, DAAS_ID_TEXT_LEN, NULL), DAAS_INVALID_ARGUMENT);
  CHECK_RC(daas_id_parse(text, DAAS_ID_TEXT_LEN - 1, &parsed), DAAS_INVALID_ARGUMENT);
  char bad[20];
  memcpy(bad, text, sizeof bad);
  bad[4] = '*';
  CHECK_RC(daas_id_parse(bad, DAAS_ID_TEXT_LEN, &parsed), DAAS_INVALID_ARGUMENT);
  CHECK_MSG("offset 4");
  CHECK_RC(daas_id_parse(S("-------------------"), &parsed), DAAS_INVALID_ARGUMENT); /* null */

  /* A guessed ID (right shard and slot, wrong salt) finds nothing. */
  daas_id guessed = id;
  guessed.bytes[0] ^= 0x5a;
  size_t len = 0;
  CHECK_RC(daas_collection_get(c, &guessed, NULL, 0, &len), DAAS_NOT_FOUND);
  CHECK(len == 0);
  /* The null ID is refused as an argument. */
  CHECK_RC(daas_collection_get(c, &null_id, NULL, 0, &len), DAAS_INVALID_ARGUMENT);
  CHECK_OK(daas_db_close(db));
}

typedef struct {
  int calls;
  int stop_after; /* 0: never stop */
  char names[4][16];
} NameList;

static int CollectName(void* ctx, const char* name, size_t len) {
  NameList* list = (NameList*)ctx;
  if (list->calls < 4 && len < 16 && name[len] == '\0')
    memcpy(list->names[list->calls], name, len + 1);
  ++list->calls;
  return list->stop_after != 0 && list->calls >= list->stop_after;
}

static void TestCollections(void) {
  daas_db* db = OpenMemory();
  CHECK(db != NULL);
  daas_collection* users = NULL;
  daas_collection* c = (daas_collection*)db;

  CHECK_OK(daas_db_create_collection(db, S("users"), &users));
  CHECK(users != NULL);
  CHECK_RC(daas_db_create_collection(db, S("users"), &c), DAAS_ALREADY_EXISTS);
  CHECK(c == NULL);
  CHECK_RC(daas_db_create_collection(db, S("1bad"), &c), DAAS_INVALID_ARGUMENT);
  CHECK_RC(daas_db_create_collection(db, NULL, 0, &c), DAAS_INVALID_ARGUMENT); /* empty name */
  CHECK_RC(daas_db_create_collection(NULL, S("x"), &c), DAAS_INVALID_ARGUMENT);
  CHECK_MSG("db");
  CHECK_RC(daas_db_create_collection(db, S("x"), NULL), DAAS_INVALID_ARGUMENT);
  CHECK_RC(daas_db_create_collection(db, NULL, 3, &c), DAAS_INVALID_ARGUMENT);
  CHECK_MSG("name");

  CHECK_OK(daas_db_get_collection(db, S("users"), &c));
  CHECK(c == users);
  CHECK_RC(daas_db_get_collection(db, S("nope"), &c), DAAS_NOT_FOUND);
  CHECK(c == NULL);
  CHECK_RC(daas_db_get_collection(NULL, S("users"), &c), DAAS_INVALID_ARGUMENT);
  CHECK_RC(daas_db_get_collection(db, S("users"), NULL), DAAS_INVALID_ARGUMENT);

  daas_collection* posts = NULL;
  CHECK_OK(daas_db_create_collection(db, S("posts"), &posts));
  NameList list;
  memset(&list, 0, sizeof list);
  CHECK_OK(daas_db_list_collections(db, CollectName, &list));
  CHECK(list.calls == 2);
  CHECK(strcmp(list.names[0], "posts") == 0 && strcmp(list.names[1], "users") == 0);
  memset(&list, 0, sizeof list);
  list.stop_after = 1;
  CHECK_OK(daas_db_list_collections(db, CollectName, &list));
  CHECK(list.calls == 1);
  CHECK_RC(daas_db_list_collections(db, NULL, NULL), DAAS_INVALID_ARGUMENT);
  CHECK_RC(daas_db_list_collections(NULL, CollectName, &list), DAAS_INVALID_ARGUMENT);

  /* Rename: the handle follows the collection. */
  daas_id id;
  CHECK_OK(daas_collection_insert(users, kDocA1, sizeof kDocA1, &id));
  CHECK_OK(daas_db_rename_collection(db, S("users"), S("people")));
  CHECK_RC(daas_db_get_collection(db, S("users"), &c), DAAS_NOT_FOUND);
  CHECK_OK(daas_db_get_collection(db, S("people"), &c));
  CHECK(c == users);
  size_t len = 0;
  CHECK_RC(daas_collection_get(users, &id, NULL, 0, &len), DAAS_RESOURCE_EXHAUSTED);
  CHECK(len == sizeof kDocA1);
  CHECK_RC(daas_db_rename_collection(db, S("people"), S("posts")), DAAS_ALREADY_EXISTS);
  CHECK_RC(daas_db_rename_collection(db, S("nope"), S("other")), DAAS_NOT_FOUND);
  CHECK_RC(daas_db_rename_collection(db, S("people"), S("9x")), DAAS_INVALID_ARGUMENT);
  CHECK_RC(daas_db_rename_collection(NULL, S("people"), S("x")), DAAS_INVALID_ARGUMENT);
  CHECK_RC(daas_db_rename_collection(db, NULL, 1, S("x")), DAAS_INVALID_ARGUMENT);
  CHECK_RC(daas_db_rename_collection(db, S("people"), NULL, 1), DAAS_INVALID_ARGUMENT);

  /* Drop: the handle stays valid and fails NotFound. */
  CHECK_OK(daas_db_drop_collection(db, S("people")));
  uint64_t n = 0;
  CHECK_RC(daas_collection_count(users, &n), DAAS_NOT_FOUND);
  CHECK_RC(daas_collection_get(users, &id, NULL, 0, &len), DAAS_NOT_FOUND);
  CHECK_RC(daas_collection_insert(users, kDocA1, sizeof kDocA1, &id), DAAS_NOT_FOUND);
  CHECK_RC(daas_db_drop_collection(db, S("people")), DAAS_NOT_FOUND);
  CHECK_RC(daas_db_drop_collection(NULL, S("people")), DAAS_INVALID_ARGUMENT);
  CHECK_RC(daas_db_drop_collection(db, NULL, 2), DAAS_INVALID_ARGUMENT);
  CHECK_OK(daas_db_close(db));
}

typedef struct {
  int calls;
  int stop_after;
  size_t bytes;
  int ids_ok;
} ScanState;

static int CountDoc(void* ctx, const daas_id* id, const uint8_t* doc, size_t len) {
  ScanState* st = (ScanState*)ctx;
  char text[20];
  /* The callback may call read-only functions; it sees a valid ID. */
  if (doc == NULL || daas_id_to_string(id, text) != DAAS_OK) st->ids_ok = 0;
  ++st->calls;
  st->bytes += len;
  return st->stop_after != 0 && st->calls >= st->stop_after;
}

static void TestDocuments(void) {
  daas_db* db = OpenMemory();
  CHECK(db != NULL);
  daas_collection* c = NULL;
  CHECK_OK(daas_db_create_collection(db, S("docs"), &c));

  /* Insert: MessagePack and JSON; bad inputs. */
  daas_id id1, id2;
  CHECK_OK(daas_collection_insert(c, kDocA1, sizeof kDocA1, &id1));
  CHECK_OK(daas_collection_insert_json(c, S("{\"name\":\"Ada\",\"age\":36,\"b\":true}"), &id2));
  CHECK(memcmp(&id1, &id2, sizeof id1) != 0);
  const uint8_t not_a_map[] = {0x01};
  CHECK_RC(daas_collection_insert(c, not_a_map, sizeof not_a_map, &id1), DAAS_INVALID_ARGUMENT);
  const uint8_t truncated[] = {0x81, 0xa1};
  CHECK_RC(daas_collection_insert(c, truncated, sizeof truncated, &id1), DAAS_INVALID_ARGUMENT);
  CHECK_RC(daas_collection_insert(c, NULL, 0, &id1), DAAS_INVALID_ARGUMENT);
  CHECK_RC(daas_collection_insert(c, NULL, 4, &id1), DAAS_INVALID_ARGUMENT);
  CHECK_MSG("doc");
  CHECK_RC(daas_collection_insert(NULL, kDocA1, sizeof kDocA1, &id1), DAAS_INVALID_ARGUMENT);
  CHECK_MSG("coll");
  CHECK_RC(daas_collection_insert(c, kDocA1, sizeof kDocA1, NULL), DAAS_INVALID_ARGUMENT);
  CHECK_RC(daas_collection_insert_json(c, S("{\"a\":"), &id1), DAAS_INVALID_ARGUMENT);
  CHECK_MSG("byte");
  CHECK_RC(daas_collection_insert_json(c, S("[1,2]"), &id1), DAAS_INVALID_ARGUMENT);
  CHECK_RC(daas_collection_insert_json(NULL, S("{}"), &id1), DAAS_INVALID_ARGUMENT);
  CHECK_RC(daas_collection_insert_json(c, S("{}"), NULL), DAAS_INVALID_ARGUMENT);
  CHECK_RC(daas_collection_insert_json(c, NULL, 2, &id1), DAAS_INVALID_ARGUMENT);

  /* Get: ask the size, too small, exact. */
  size_t len = 99;
  CHECK_RC(daas_collection_get(c, &id1, NULL, 0, &len), DAAS_RESOURCE_EXHAUSTED);
  CHECK(len == sizeof kDocA1);
  uint8_t buf[256];
  CHECK_RC(daas_collection_get(c, &id1, buf, len - 1, &len), DAAS_RESOURCE_EXHAUSTED);
  CHECK(len == sizeof kDocA1);
  CHECK_OK(daas_collection_get(c, &id1, buf, len, &len));
  CHECK(len == sizeof kDocA1 && memcmp(buf, kDocA1, len) == 0);
  CHECK_RC(daas_collection_get(c, &id1, NULL, 4, &len), DAAS_INVALID_ARGUMENT);
  CHECK(len == 0);
  CHECK_RC(daas_collection_get(c, &id1, buf, sizeof buf, NULL), DAAS_INVALID_ARGUMENT);
  CHECK_MSG("len");
  CHECK_RC(daas_collection_get(NULL, &id1, buf, sizeof buf, &len), DAAS_INVALID_ARGUMENT);
  CHECK_RC(daas_collection_get(c, NULL, buf, sizeof buf, &len), DAAS_INVALID_ARGUMENT);

  /* Get JSON: the size needed counts the NUL; *len on success does not. */
  const char* want = "{\"name\":\"Ada\",\"age\":36,\"b\":true}";
  char text[256];
  CHECK_RC(daas_collection_get_json(c, &id2, NULL, 0, &len), DAAS_RESOURCE_EXHAUSTED);
  CHECK(len == strlen(want) + 1);
  CHECK_OK(daas_collection_get_json(c, &id2, text, len, &len));
  CHECK(len == strlen(want) && strcmp(text, want) == 0);
  CHECK_RC(daas_collection_get_json(NULL, &id2, text, sizeof text, &len), DAAS_INVALID_ARGUMENT);
  CHECK_RC(daas_collection_get_json(c, &id2, text, sizeof text, NULL), DAAS_INVALID_ARGUMENT);

  /* Replace and patch, both forms. */
  CHECK_OK(daas_collection_replace(c, &id1, kDocA2, sizeof kDocA2));
  CHECK_OK(GetJson(c, &id1, text, sizeof text));
  CHECK(strcmp(text, "{\"a\":2}") == 0);
  CHECK_OK(daas_collection_replace_json(c, &id1, S("{\"a\":3,\"b\":4}")));
  CHECK_OK(GetJson(c, &id1, text, sizeof text));
  CHECK(strcmp(text, "{\"a\":3,\"b\":4}") == 0);
  CHECK_OK(daas_collection_patch(c, &id1, kPatchDropB, sizeof kPatchDropB));
  CHECK_OK(GetJson(c, &id1, text, sizeof text));
  CHECK(strcmp(text, "{\"a\":3}") == 0);
  CHECK_OK(daas_collection_patch_json(c, &id1, S("{\"c\":{\"d\":1}}")));
  CHECK_OK(GetJson(c, &id1, text, sizeof text));
  CHECK(strcmp(text, "{\"a\":3,\"c\":{\"d\":1}}") == 0);
  CHECK_RC(daas_collection_replace(c, &id1, not_a_map, sizeof not_a_map), DAAS_INVALID_ARGUMENT);
  CHECK_RC(daas_collection_replace_json(c, &id1, S("nope")), DAAS_INVALID_ARGUMENT);
  CHECK_RC(daas_collection_patch(c, &id1, NULL, 1), DAAS_INVALID_ARGUMENT);
  CHECK_RC(daas_collection_patch_json(c, NULL, S("{}")), DAAS_INVALID_ARGUMENT);
  CHECK_RC(daas_collection_replace(NULL, &id1, kDocA2, sizeof kDocA2), DAAS_INVALID_ARGUMENT);
  CHECK_OK(GetJson(c, &id1, text, sizeof text)); /* failed writes changed nothing */
  CHECK(strcmp(text, "{\"a\":3,\"c\":{\"d\":1}}") == 0);

  /* Count and scan. */
  uint64_t n = 0;
  CHECK_OK(daas_collection_count(c, &n));
  CHECK(n == 2);
  CHECK_RC(daas_collection_count(c, NULL), DAAS_INVALID_ARGUMENT);
  CHECK_RC(daas_collection_count(NULL, &n), DAAS_INVALID_ARGUMENT);
  ScanState st = {0, 0, 0, 1};
  CHECK_OK(daas_collection_scan(c, CountDoc, &st));
  CHECK(st.calls == 2 && st.ids_ok && st.bytes > 0);
  ScanState early = {0, 1, 0, 1};
  CHECK_OK(daas_collection_scan(c, CountDoc, &early));
  CHECK(early.calls == 1);
  CHECK_RC(daas_collection_scan(c, NULL, NULL), DAAS_INVALID_ARGUMENT);
  CHECK_RC(daas_collection_scan(NULL, CountDoc, &st), DAAS_INVALID_ARGUMENT);

  /* Find: a filter expression. */
  ScanState found = {0, 0, 0, 1};
  CHECK_OK(daas_collection_find(c, S("a = 3 && c.d = 1"), CountDoc, &found));
  CHECK(found.calls == 1 && found.ids_ok);
  ScanState all = {0, 0, 0, 1};
  CHECK_OK(daas_collection_find(c, S("true"), CountDoc, &all));
  CHECK(all.calls == 2);
  ScanState none = {0, 0, 0, 1};
  CHECK_OK(daas_collection_find(c, S("a > 100"), CountDoc, &none));
  CHECK(none.calls == 0);
  CHECK_RC(daas_collection_find(c, S("a >"), CountDoc, &none), DAAS_INVALID_ARGUMENT);
  CHECK(strstr(daas_last_error_message(), "at byte 3") != NULL);
  CHECK_RC(daas_collection_find(c, NULL, 1, CountDoc, &none), DAAS_INVALID_ARGUMENT);
  CHECK_RC(daas_collection_find(c, S("true"), NULL, NULL), DAAS_INVALID_ARGUMENT);
  CHECK_RC(daas_collection_find(NULL, S("true"), CountDoc, &none), DAAS_INVALID_ARGUMENT);

  /* Schema: enforced at commit, violations as structured detail. */
  CHECK_RC(daas_collection_set_schema(c, S("{\"fields\": {\"a\": \"string\"}}")),
           DAAS_SCHEMA_VIOLATION); /* stored documents have a = 3 */
  CHECK(strstr(daas_last_error_message(), "break the new schema") != NULL);
  CHECK_RC(daas_collection_set_schema(c, S("{\"fields\": {\"a\": {\"type\": \"nope\"}}}")),
           DAAS_INVALID_ARGUMENT);
  CHECK(strstr(daas_last_error_message(), "fields.a.type") != NULL);
  CHECK_OK(daas_collection_set_schema(
      c, S("{\"version\": 1, \"additionalFields\": true, \"fields\": {\"a\": {\"type\": "
           "\"int\", \"max\": 10}}}")));
  char schema_text[512];
  CHECK_OK(daas_collection_get_schema(c, schema_text, sizeof schema_text, &len));
  CHECK(strstr(schema_text, "\"max\":10") != NULL && len == strlen(schema_text));
  CHECK_RC(daas_collection_get_schema(c, schema_text, 4, &len), DAAS_RESOURCE_EXHAUSTED);
  CHECK(len > 4);
  CHECK_RC(daas_collection_insert_json(c, S("{\"a\": 11}"), &id2), DAAS_SCHEMA_VIOLATION);
  CHECK(strstr(daas_last_error_detail(), "\"field\":\"a\",\"code\":\"validation_max\"") != NULL);
  CHECK(strcmp(daas_last_error_detail(), "") != 0);
  CHECK_OK(daas_collection_count(c, &n));
  CHECK(n == 2);                                    /* nothing was inserted */
  CHECK(strcmp(daas_last_error_detail(), "") == 0); /* cleared by the successful call */
  /* A version that renames a to x (every stored document is migrated) and makes it unique. */
  CHECK_OK(daas_collection_set_schema(
      c, S("{\"version\": 2, \"additionalFields\": true, \"fields\": {\"x\": {\"type\": "
           "\"int\", \"max\": 10, \"unique\": true, \"renamedFrom\": \"a\"}}}")));
  CHECK_OK(GetJson(c, &id1, text, sizeof text));
  CHECK(strcmp(text, "{\"x\":3,\"c\":{\"d\":1}}") == 0);
  daas_id taken;
  CHECK_RC(daas_collection_insert_json(c, S("{\"x\": 3}"), &taken), DAAS_SCHEMA_VIOLATION);
  CHECK(strstr(daas_last_error_detail(), "\"field\":\"x\",\"code\":\"validation_unique\"") != NULL);
  CHECK_OK(daas_collection_set_schema(c, NULL, 0)); /* schemaless again */
  CHECK_OK(daas_collection_get_schema(c, schema_text, sizeof schema_text, &len));
  CHECK(len == 0 && schema_text[0] == '\0');
  CHECK_RC(daas_collection_set_schema(NULL, S("{}")), DAAS_INVALID_ARGUMENT);

  /* Delete: then the ID finds nothing, for every operation. */
  CHECK_OK(daas_collection_delete(c, &id1));
  CHECK_RC(daas_collection_get(c, &id1, buf, sizeof buf, &len), DAAS_NOT_FOUND);
  CHECK_RC(daas_collection_get_json(c, &id1, text, sizeof text, &len), DAAS_NOT_FOUND);
  CHECK_RC(daas_collection_delete(c, &id1), DAAS_NOT_FOUND);
  CHECK_RC(daas_collection_replace(c, &id1, kDocA1, sizeof kDocA1), DAAS_NOT_FOUND);
  CHECK_RC(daas_collection_patch(c, &id1, kDocA1, sizeof kDocA1), DAAS_NOT_FOUND);
  CHECK_RC(daas_collection_delete(NULL, &id1), DAAS_INVALID_ARGUMENT);
  CHECK_RC(daas_collection_delete(c, NULL), DAAS_INVALID_ARGUMENT);
  CHECK_OK(daas_collection_count(c, &n));
  CHECK(n == 1);

  /* Another collection's ID finds nothing here. */
  daas_collection* other = NULL;
  CHECK_OK(daas_db_create_collection(db, S("other"), &other));
  CHECK_RC(daas_collection_get(other, &id2, buf, sizeof buf, &len), DAAS_NOT_FOUND);
  CHECK_OK(daas_db_close(db));
}

enum { kThreads = 4, kDocsPerThread = 250 };

typedef struct {
  daas_collection* coll;
  int failures;
} Writer;

/* Inserts and reads back documents; handles are shared across threads, the last error is not. */
static void* WriteAndRead(void* arg) {
  Writer* w = (Writer*)arg;
  for (int i = 0; i < kDocsPerThread; ++i) {
    daas_id id;
    char json[32], back[32];
    int n = snprintf(json, sizeof json, "{\"i\":%d}", i);
    size_t len = 0;
    if (daas_collection_insert_json(w->coll, json, (size_t)n, &id) != DAAS_OK ||
        daas_collection_get_json(w->coll, &id, back, sizeof back, &len) != DAAS_OK ||
        strcmp(json, back) != 0 || daas_last_error_code() != DAAS_OK) {
      ++w->failures;
    }
  }
  return NULL;
}

static void TestThreads(void) {
  daas_db* db = OpenMemory();
  CHECK(db != NULL);
  daas_collection* c = NULL;
  CHECK_OK(daas_db_create_collection(db, S("shared"), &c));
  pthread_t threads[kThreads];
  Writer writers[kThreads];
  for (int t = 0; t < kThreads; ++t) {
    writers[t].coll = c;
    writers[t].failures = 0;
    CHECK(pthread_create(&threads[t], NULL, WriteAndRead, &writers[t]) == 0);
  }
  for (int t = 0; t < kThreads; ++t) {
    CHECK(pthread_join(threads[t], NULL) == 0);
    CHECK(writers[t].failures == 0);
  }
  uint64_t n = 0;
  CHECK_OK(daas_collection_count(c, &n));
  CHECK(n == (uint64_t)kThreads * kDocsPerThread);
  CHECK_OK(daas_db_close(db));
}

static void TestLimits(void) {
  daas_options opts;
  CHECK_OK(daas_options_init(&opts, sizeof opts));
  opts.max_document_bytes = 32;
  daas_db* db = NULL;
  CHECK_OK(daas_db_open(&opts, &db));
  daas_collection* c = NULL;
  CHECK_OK(daas_db_create_collection(db, S("small"), &c));
  daas_id id;
  CHECK_RC(daas_collection_insert_json(
               c, S("{\"text\":\"far more than thirty-two bytes of text\"}"), &id),
           DAAS_RESOURCE_EXHAUSTED);
  CHECK_OK(daas_collection_insert_json(c, S("{\"t\":1}"), &id));
  CHECK_OK(daas_db_close(db));
}

static void TestBatches(void) {
  daas_db* db = OpenMemory();
  CHECK(db != NULL);
  daas_collection* a = NULL;
  daas_collection* b = NULL;
  CHECK_OK(daas_db_create_collection(db, S("a"), &a));
  CHECK_OK(daas_db_create_collection(db, S("b"), &b));
  daas_id existing;
  CHECK_OK(daas_collection_insert(a, kDocA1, sizeof kDocA1, &existing));
  daas_id to_delete;
  CHECK_OK(daas_collection_insert(b, kDocA1, sizeof kDocA1, &to_delete));

  daas_batch* batch = NULL;
  CHECK_RC(daas_batch_new(NULL), DAAS_INVALID_ARGUMENT);
  CHECK_OK(daas_batch_new(&batch));
  CHECK(batch != NULL);
  size_t count = 99;
  CHECK_OK(daas_batch_count(batch, &count));
  CHECK(count == 0);
  CHECK_RC(daas_batch_count(NULL, &count), DAAS_INVALID_ARGUMENT);
  CHECK_RC(daas_batch_count(batch, NULL), DAAS_INVALID_ARGUMENT);

  /* An empty batch is fine. */
  size_t n_inserted = 99;
  CHECK_OK(daas_db_write(db, batch, NULL, 0, &n_inserted));
  CHECK(n_inserted == 0);

  CHECK_OK(daas_batch_insert(batch, a, kDocA2, sizeof kDocA2));
  CHECK_OK(daas_batch_insert_json(batch, b, S("{\"x\":1}")));
  CHECK_OK(daas_batch_replace(batch, a, &existing, kDocA2, sizeof kDocA2));
  CHECK_OK(daas_batch_patch_json(batch, a, &existing, S("{\"p\":true}")));
  CHECK_OK(daas_batch_delete(batch, b, &to_delete));
  CHECK_OK(daas_batch_count(batch, &count));
  CHECK(count == 5);

  /* Bad appends fail and leave the batch unchanged. */
  CHECK_RC(daas_batch_insert_json(batch, a, S("{bad")), DAAS_INVALID_ARGUMENT);
  CHECK_RC(daas_batch_insert(NULL, a, kDocA1, sizeof kDocA1), DAAS_INVALID_ARGUMENT);
  CHECK_RC(daas_batch_insert(batch, NULL, kDocA1, sizeof kDocA1), DAAS_INVALID_ARGUMENT);
  CHECK_RC(daas_batch_insert(batch, a, NULL, 3), DAAS_INVALID_ARGUMENT);
  CHECK_RC(daas_batch_replace(batch, a, NULL, kDocA1, sizeof kDocA1), DAAS_INVALID_ARGUMENT);
  CHECK_RC(daas_batch_replace_json(batch, a, &existing, S("[]")), DAAS_INVALID_ARGUMENT);
  CHECK_RC(daas_batch_patch(batch, a, NULL, kDocA1, sizeof kDocA1), DAAS_INVALID_ARGUMENT);
  CHECK_RC(daas_batch_patch_json(batch, NULL, &existing, S("{}")), DAAS_INVALID_ARGUMENT);
  CHECK_RC(daas_batch_delete(batch, a, NULL), DAAS_INVALID_ARGUMENT);
  CHECK_RC(daas_batch_delete(NULL, a, &existing), DAAS_INVALID_ARGUMENT);
  CHECK_OK(daas_batch_count(batch, &count));
  CHECK(count == 5);

  /* Too little room for the inserted IDs: nothing is applied. */
  daas_id ids[8];
  uint64_t na = 0, nb = 0;
  CHECK_RC(daas_db_write(db, batch, ids, 1, &n_inserted), DAAS_RESOURCE_EXHAUSTED);
  CHECK(n_inserted == 2);
  CHECK_OK(daas_collection_count(a, &na));
  CHECK_OK(daas_collection_count(b, &nb));
  CHECK(na == 1 && nb == 1);
  CHECK_RC(daas_db_write(db, batch, NULL, 3, &n_inserted), DAAS_INVALID_ARGUMENT);
  CHECK_RC(daas_db_write(NULL, batch, ids, 8, &n_inserted), DAAS_INVALID_ARGUMENT);
  CHECK_RC(daas_db_write(db, NULL, ids, 8, &n_inserted), DAAS_INVALID_ARGUMENT);

  CHECK_OK(daas_db_write(db, batch, ids, 8, &n_inserted));
  CHECK(n_inserted == 2);
  char text[128];
  CHECK_OK(GetJson(a, &ids[0], text, sizeof text));
  CHECK(strcmp(text, "{\"a\":2}") == 0);
  CHECK_OK(GetJson(b, &ids[1], text, sizeof text));
  CHECK(strcmp(text, "{\"x\":1}") == 0);
  CHECK_OK(GetJson(a, &existing, text, sizeof text));
  CHECK(strcmp(text, "{\"a\":2,\"p\":true}") == 0);
  CHECK_RC(GetJson(b, &to_delete, text, sizeof text), DAAS_NOT_FOUND);
  CHECK_OK(daas_batch_count(batch, &count)); /* writing leaves the batch as it was */
  CHECK(count == 5);

  /* Atomicity: the last operation fails (its document is gone), so nothing is applied. */
  CHECK_OK(daas_batch_clear(batch));
  CHECK_RC(daas_batch_clear(NULL), DAAS_INVALID_ARGUMENT);
  CHECK_OK(daas_batch_count(batch, &count));
  CHECK(count == 0);
  CHECK_OK(daas_batch_insert(batch, a, kDocA1, sizeof kDocA1));
  CHECK_OK(daas_batch_replace_json(batch, a, &existing, S("{\"replaced\":1}")));
  CHECK_OK(daas_batch_patch(batch, a, &existing, kPatchDropB, sizeof kPatchDropB));
  CHECK_OK(daas_batch_delete(batch, a, &ids[0]));
  CHECK_OK(daas_batch_delete(batch, b, &to_delete)); /* deleted above: fails */
  CHECK_OK(daas_collection_count(a, &na));
  CHECK_RC(daas_db_write(db, batch, ids, 8, NULL), DAAS_NOT_FOUND);
  CHECK_MSG("operation 4"); /* names the failing operation's index */
  uint64_t na_after = 0;
  CHECK_OK(daas_collection_count(a, &na_after));
  CHECK(na_after == na);
  CHECK_OK(GetJson(a, &existing, text, sizeof text));
  CHECK(strcmp(text, "{\"a\":2,\"p\":true}") == 0);
  CHECK_OK(GetJson(a, &ids[0], text, sizeof text));

  /* A bad document inside a batch is found at write time. */
  CHECK_OK(daas_batch_clear(batch));
  const uint8_t not_a_map[] = {0x93, 1, 2, 3};
  CHECK_OK(daas_batch_insert(batch, a, not_a_map, sizeof not_a_map));
  CHECK_RC(daas_db_write(db, batch, NULL, 0, NULL), DAAS_INVALID_ARGUMENT);

  /* A collection of another database is refused. */
  daas_db* db2 = OpenMemory();
  CHECK(db2 != NULL);
  daas_collection* foreign = NULL;
  CHECK_OK(daas_db_create_collection(db2, S("a"), &foreign));
  CHECK_OK(daas_batch_clear(batch));
  CHECK_OK(daas_batch_insert(batch, foreign, kDocA1, sizeof kDocA1));
  CHECK_RC(daas_db_write(db, batch, NULL, 0, NULL), DAAS_INVALID_ARGUMENT);
  CHECK_OK(daas_db_write(db2, batch, NULL, 0, NULL));
  CHECK_OK(daas_db_close(db2));

  daas_batch_free(batch);
  daas_batch_free(NULL);
  CHECK(daas_last_error_code() == DAAS_OK);
  CHECK_OK(daas_db_close(db));
}

static void TestConversions(void) {
  const char* json = "{\"a\":1}";
  size_t len = 99;
  CHECK_RC(daas_document_from_json(json, strlen(json), NULL, 0, &len), DAAS_RESOURCE_EXHAUSTED);
  CHECK(len == sizeof kDocA1);
  uint8_t doc[16];
  CHECK_RC(daas_document_from_json(json, strlen(json), doc, len - 1, &len),
           DAAS_RESOURCE_EXHAUSTED);
  CHECK_OK(daas_document_from_json(json, strlen(json), doc, sizeof doc, &len));
  CHECK(len == sizeof kDocA1 && memcmp(doc, kDocA1, len) == 0);
  CHECK_RC(daas_document_from_json(S("{\"a\":}"), doc, sizeof doc, &len), DAAS_INVALID_ARGUMENT);
  CHECK(len == 0);
  CHECK_MSG("byte");
  CHECK_RC(daas_document_from_json(NULL, 1, doc, sizeof doc, &len), DAAS_INVALID_ARGUMENT);
  CHECK_RC(daas_document_from_json(json, strlen(json), doc, sizeof doc, NULL),
           DAAS_INVALID_ARGUMENT);
  CHECK_RC(daas_document_from_json(json, strlen(json), NULL, 8, &len), DAAS_INVALID_ARGUMENT);

  char text[16];
  CHECK_RC(daas_document_to_json(kDocA1, sizeof kDocA1, NULL, 0, &len), DAAS_RESOURCE_EXHAUSTED);
  CHECK(len == strlen(json) + 1); /* the NUL included */
  CHECK_OK(daas_document_to_json(kDocA1, sizeof kDocA1, text, len, &len));
  CHECK(len == strlen(json) && strcmp(text, json) == 0);
  const uint8_t garbage[] = {0xc1, 0xff, 0x00};
  CHECK_RC(daas_document_to_json(garbage, sizeof garbage, text, sizeof text, &len),
           DAAS_INVALID_ARGUMENT);
  CHECK_RC(daas_document_to_json(NULL, 3, text, sizeof text, &len), DAAS_INVALID_ARGUMENT);
  CHECK_RC(daas_document_to_json(kDocA1, sizeof kDocA1, text, sizeof text, NULL),
           DAAS_INVALID_ARGUMENT);
}

/* One caller-owned-buffer output: fn(ctx, buf, cap, len) writes `want` (want_len bytes, then a
 * NUL when `nul`) under the buffer protocol of daas.h. */
typedef int (*OutputFn)(void* ctx, void* buf, size_t cap, size_t* len);

/* Checks every boundary of the buffer protocol for one output: cap 0 (buf NULL, and not), the size
 * needed minus 1, exactly, plus 1. Too small: DAAS_RESOURCE_EXHAUSTED, *len the size needed (the
 * NUL counted), *len > cap, nothing written. Enough: DAAS_OK, *len the result's size (the NUL not
 * counted), the result and its NUL written, nothing past them. */
static void CheckBufferProtocol(const char* name, OutputFn fn, void* ctx, const void* want,
                                size_t want_len, int nul) {
  const size_t need = want_len + (nul ? 1 : 0);
  unsigned char buf[4096];
  if (need + 2 > sizeof buf) {
    CHECK(!"CheckBufferProtocol: result too long");
    return;
  }
  const size_t caps[] = {0, 0, need - 1, need, need + 1};
  for (size_t k = 0; k < sizeof caps / sizeof caps[0]; ++k) {
    const size_t cap = caps[k];
    void* out = k == 0 ? NULL : buf; /* k == 0: the size query, buf NULL and cap 0 */
    memset(buf, 0x5a, sizeof buf);
    size_t len = 12345;
    const int rc = fn(ctx, out, cap, &len);
    int ok;
    if (cap < need) {
      ok = rc == DAAS_RESOURCE_EXHAUSTED && len == need && len > cap && buf[0] == 0x5a;
    } else {
      ok = rc == DAAS_OK && len == want_len && memcmp(buf, want, want_len) == 0 &&
           (!nul || buf[want_len] == '\0') && buf[need] == 0x5a;
    }
    if (ok) {
      ++g_passed;
    } else {
      ++g_failed;
      fprintf(stderr, "%s with cap %zu (needs %zu%s): returned %s, *len %zu\n", name, cap, need,
              nul ? " with the NUL" : "", daas_status_name(rc), len);
    }
  }
}

typedef struct {
  daas_collection* coll;
  const daas_id* id;
  const char* text; /* input of the conversions */
  size_t text_len;
} OutputCtx;

static int GetOut(void* ctx, void* buf, size_t cap, size_t* len) {
  const OutputCtx* c = (const OutputCtx*)ctx;
  return daas_collection_get(c->coll, c->id, (uint8_t*)buf, cap, len);
}
static int GetJsonOut(void* ctx, void* buf, size_t cap, size_t* len) {
  const OutputCtx* c = (const OutputCtx*)ctx;
  return daas_collection_get_json(c->coll, c->id, (char*)buf, cap, len);
}
static int GetSchemaOut(void* ctx, void* buf, size_t cap, size_t* len) {
  const OutputCtx* c = (const OutputCtx*)ctx;
  return daas_collection_get_schema(c->coll, (char*)buf, cap, len);
}
static int FromJsonOut(void* ctx, void* buf, size_t cap, size_t* len) {
  const OutputCtx* c = (const OutputCtx*)ctx;
  return daas_document_from_json(c->text, c->text_len, (uint8_t*)buf, cap, len);
}
static int ToJsonOut(void* ctx, void* buf, size_t cap, size_t* len) {
  const OutputCtx* c = (const OutputCtx*)ctx;
  return daas_document_to_json((const uint8_t*)c->text, c->text_len, (char*)buf, cap, len);
}

static void TestBufferProtocol(void) {
  daas_db* db = OpenMemory();
  CHECK(db != NULL);
  daas_collection* c = NULL;
  CHECK_OK(daas_db_create_collection(db, S("buffers"), &c));
  daas_id id;
  const char* json = "{\"a\":1}";
  CHECK_OK(daas_collection_insert(c, kDocA1, sizeof kDocA1, &id));
  OutputCtx ctx = {c, &id, json, strlen(json)};
  CheckBufferProtocol("daas_collection_get", GetOut, &ctx, kDocA1, sizeof kDocA1, 0);
  CheckBufferProtocol("daas_collection_get_json", GetJsonOut, &ctx, json, strlen(json), 1);
  CheckBufferProtocol("daas_collection_get_schema, no schema", GetSchemaOut, &ctx, "", 0, 1);
  CHECK_OK(
      daas_collection_set_schema(c, S("{\"version\":1,\"fields\":{\"a\":{\"type\":\"int\"}}}")));
  char schema[256];
  size_t schema_len = 0;
  CHECK_OK(daas_collection_get_schema(c, schema, sizeof schema, &schema_len));
  CheckBufferProtocol("daas_collection_get_schema", GetSchemaOut, &ctx, schema, schema_len, 1);
  CheckBufferProtocol("daas_document_from_json", FromJsonOut, &ctx, kDocA1, sizeof kDocA1, 0);
  OutputCtx doc = {NULL, NULL, (const char*)kDocA1, sizeof kDocA1};
  CheckBufferProtocol("daas_document_to_json", ToJsonOut, &doc, json, strlen(json), 1);

  /* daas_db_write's inserted_ids: too few entries apply nothing and say how many are needed. */
  daas_batch* batch = NULL;
  CHECK_OK(daas_batch_new(&batch));
  CHECK_OK(daas_batch_insert(batch, c, kDocA1, sizeof kDocA1));
  CHECK_OK(daas_batch_insert(batch, c, kDocA2, sizeof kDocA2));
  daas_id ids[3];
  size_t n = 99;
  uint64_t count = 0;
  CHECK_RC(daas_db_write(db, batch, ids, 0, &n), DAAS_RESOURCE_EXHAUSTED);
  CHECK(n == 2);
  CHECK_RC(daas_db_write(db, batch, ids, 1, &n), DAAS_RESOURCE_EXHAUSTED);
  CHECK(n == 2);
  CHECK_OK(daas_collection_count(c, &count));
  CHECK(count == 1); /* nothing was applied */
  CHECK_OK(daas_db_write(db, batch, ids, 2, &n));
  CHECK(n == 2);
  CHECK_OK(daas_db_write(db, batch, ids, 3, &n));
  CHECK(n == 2);
  CHECK_OK(daas_collection_count(c, &count));
  CHECK(count == 5);
  daas_batch_free(batch);
  CHECK_OK(daas_db_close(db));
}

static int NeverCalled(void* ctx, const daas_id* id, const uint8_t* doc, size_t len) {
  (void)id;
  (void)doc;
  (void)len;
  ++*(int*)ctx;
  return 0;
}

/* Versions and times (daas_collection_get_meta) and the conditional writes built on them. */
static void TestVersionsAndConditionalWrites(void) {
  daas_db* db = OpenMemory();
  CHECK(db != NULL);
  daas_collection* c = NULL;
  CHECK_OK(daas_db_create_collection(db, S("v"), &c));
  daas_id id;
  CHECK_OK(daas_collection_insert(c, kDocA1, sizeof kDocA1, &id));
  uint8_t buf[64];
  size_t len = 0;
  daas_doc_meta m1, m2;
  memset(&m1, 0, sizeof m1);
  CHECK_OK(daas_collection_get_meta(c, &id, buf, sizeof buf, &len, &m1));
  CHECK(len == sizeof kDocA1 && memcmp(buf, kDocA1, len) == 0);
  CHECK(m1.version == 1 && m1.created_ms > 0 && m1.updated_ms == m1.created_ms);
  /* The version alone: no buffer, DAAS_RESOURCE_EXHAUSTED, and the meta filled. */
  memset(&m2, 0, sizeof m2);
  CHECK_RC(daas_collection_get_meta(c, &id, NULL, 0, &len, &m2), DAAS_RESOURCE_EXHAUSTED);
  CHECK(len == sizeof kDocA1 && m2.version == m1.version);
  CHECK_RC(daas_collection_get_meta(c, &id, buf, sizeof buf, &len, NULL), DAAS_INVALID_ARGUMENT);
  CHECK_MSG("meta");

  CHECK_OK(daas_collection_replace_if(c, &id, m1.version, kDocA2, sizeof kDocA2));
  CHECK_OK(daas_collection_get_meta(c, &id, buf, sizeof buf, &len, &m2));
  CHECK(m2.version > m1.version && m2.created_ms == m1.created_ms);
  /* A stale version: DAAS_CONFLICT naming the current one, and nothing changes. */
  CHECK_RC(daas_collection_replace_if(c, &id, m1.version, kDocA1, sizeof kDocA1), DAAS_CONFLICT);
  CHECK_MSG("version");
  CHECK_RC(daas_collection_patch_if(c, &id, m1.version, kDocA1, sizeof kDocA1), DAAS_CONFLICT);
  CHECK_RC(daas_collection_delete_if(c, &id, m1.version), DAAS_CONFLICT);
  CHECK_OK(daas_collection_get(c, &id, buf, sizeof buf, &len));
  CHECK(len == sizeof kDocA2 && memcmp(buf, kDocA2, len) == 0);
  CHECK_OK(daas_collection_patch_if(c, &id, m2.version, kDocA1, sizeof kDocA1));
  CHECK_OK(daas_collection_get_meta(c, &id, buf, sizeof buf, &len, &m2));
  CHECK_OK(daas_collection_delete_if(c, &id, m2.version));
  CHECK_RC(daas_collection_get_meta(c, &id, buf, sizeof buf, &len, &m2), DAAS_NOT_FOUND);
  CHECK_RC(daas_collection_delete_if(NULL, &id, 1), DAAS_INVALID_ARGUMENT);
  CHECK_OK(daas_db_close(db));
}

/* daas.h: after a drop, every call on the handle with valid arguments fails with DAAS_NOT_FOUND
 * and writes nothing to its outputs but *len (0). */
static void TestDroppedCollection(void) {
  daas_db* db = OpenMemory();
  CHECK(db != NULL);
  daas_collection* c = NULL;
  CHECK_OK(daas_db_create_collection(db, S("gone"), &c));
  CHECK_OK(
      daas_collection_set_schema(c, S("{\"version\":1,\"fields\":{\"a\":{\"type\":\"int\"}}}")));
  daas_id id;
  CHECK_OK(daas_collection_insert(c, kDocA1, sizeof kDocA1, &id));
  CHECK_OK(daas_db_drop_collection(db, S("gone")));

  daas_id out_id;
  memset(&out_id, 0x5a, sizeof out_id);
  char buf[256] = "untouched";
  size_t len = 99;
  uint64_t count = 99;
  int calls = 0;
  CHECK_RC(daas_collection_insert(c, kDocA1, sizeof kDocA1, &out_id), DAAS_NOT_FOUND);
  CHECK_RC(daas_collection_insert_json(c, S("{\"a\":1}"), &out_id), DAAS_NOT_FOUND);
  /* What the last schema would have refused: the collection is gone, which is the answer. */
  CHECK_RC(daas_collection_insert_json(c, S("{\"b\":1}"), &out_id), DAAS_NOT_FOUND);
  CHECK(out_id.bytes[0] == 0x5a && out_id.bytes[13] == 0x5a);
  CHECK_RC(daas_collection_get(c, &id, (uint8_t*)buf, sizeof buf, &len), DAAS_NOT_FOUND);
  CHECK(len == 0);
  len = 99;
  CHECK_RC(daas_collection_get_json(c, &id, buf, sizeof buf, &len), DAAS_NOT_FOUND);
  CHECK(len == 0);
  CHECK_RC(daas_collection_replace(c, &id, kDocA2, sizeof kDocA2), DAAS_NOT_FOUND);
  CHECK_RC(daas_collection_replace_json(c, &id, S("{\"a\":2}")), DAAS_NOT_FOUND);
  CHECK_RC(daas_collection_patch(c, &id, kPatchDropB, sizeof kPatchDropB), DAAS_NOT_FOUND);
  CHECK_RC(daas_collection_patch_json(c, &id, S("{\"b\":null}")), DAAS_NOT_FOUND);
  CHECK_RC(daas_collection_delete(c, &id), DAAS_NOT_FOUND);
  CHECK_RC(daas_collection_count(c, &count), DAAS_NOT_FOUND);
  CHECK(count == 99);
  CHECK_RC(daas_collection_scan(c, NeverCalled, &calls), DAAS_NOT_FOUND);
  CHECK_RC(daas_collection_find(c, S("a = 1"), NeverCalled, &calls), DAAS_NOT_FOUND);
  CHECK(calls == 0);
  CHECK_RC(daas_collection_set_schema(c, S("{\"version\":2,\"fields\":{}}")), DAAS_NOT_FOUND);
  CHECK_RC(daas_collection_set_schema(c, NULL, 0), DAAS_NOT_FOUND);
  len = 99;
  CHECK_RC(daas_collection_get_schema(c, buf, sizeof buf, &len), DAAS_NOT_FOUND);
  CHECK(len == 0 && strcmp(buf, "untouched") == 0);
  len = 99;
  CHECK_RC(daas_collection_get_schema(c, NULL, 0, &len), DAAS_NOT_FOUND);
  CHECK(len == 0);
  CHECK_MSG("dropped");
  /* A batch naming it takes the operation, and fails when written. */
  daas_batch* batch = NULL;
  CHECK_OK(daas_batch_new(&batch));
  CHECK_OK(daas_batch_insert(batch, c, kDocA1, sizeof kDocA1));
  size_t n = 99;
  CHECK_RC(daas_db_write(db, batch, NULL, 0, &n), DAAS_NOT_FOUND);
  CHECK_OK(daas_batch_clear(batch));
  CHECK_OK(daas_batch_insert_json(batch, c, S("{\"b\":1}")));
  CHECK_RC(daas_db_write(db, batch, NULL, 0, &n), DAAS_NOT_FOUND);
  daas_batch_free(batch);
  CHECK_OK(daas_db_close(db));
}

static int RemoveEntry(const char* path, const struct stat* sb, int type, struct FTW* ftw) {
  (void)sb;
  (void)type;
  (void)ftw;
  return remove(path);
}

/* Transactions: reads of own writes, atomic commit, conflicts, rollback by free, read-only. */
static void TestTransactions(void) {
  daas_db* db = OpenMemory();
  CHECK(db != NULL);
  daas_collection* c = NULL;
  CHECK_OK(daas_db_create_collection(db, S("t"), &c));
  daas_id x;
  CHECK_OK(daas_collection_insert_json(c, S("{\"n\":1}"), &x));

  daas_txn* t = NULL;
  CHECK_OK(daas_txn_begin(db, DAAS_SYNC_DEFAULT, &t));
  daas_id fresh;
  CHECK_OK(daas_txn_insert_json(t, c, S("{\"n\":2}"), &fresh));
  CHECK_OK(daas_txn_patch_json(t, c, &x, S("{\"m\":1}")));
  char text[128];
  size_t len = 0;
  CHECK_OK(daas_txn_get_json(t, c, &x, text, sizeof text, &len));
  CHECK(strcmp(text, "{\"n\":1,\"m\":1}") == 0);
  CHECK_OK(daas_txn_get_json(t, c, &fresh, text, sizeof text, &len));
  CHECK(strcmp(text, "{\"n\":2}") == 0);
  ScanState seen = {0, 0, 0, 1};
  CHECK_OK(daas_txn_find(t, c, S("n >= 1"), CountDoc, &seen));
  CHECK(seen.calls == 2 && seen.ids_ok);
  CHECK_RC(GetJson(c, &fresh, text, sizeof text), DAAS_NOT_FOUND); /* not visible before commit */
  uint64_t lsn = 0;
  CHECK_OK(daas_txn_commit(t, &lsn));
  CHECK(lsn == 2);
  CHECK_RC(daas_txn_get_json(t, c, &x, text, sizeof text, &len), DAAS_ABORTED); /* ended */
  daas_txn_free(t);
  CHECK_OK(GetJson(c, &fresh, text, sizeof text));

  /* A conflict: what the transaction read changed before its commit. */
  CHECK_OK(daas_txn_begin(db, DAAS_SYNC_DEFAULT, &t));
  CHECK_OK(daas_txn_get_json(t, c, &x, text, sizeof text, &len));
  CHECK_OK(daas_collection_patch_json(c, &x, S("{\"m\":2}")));
  CHECK_OK(daas_txn_replace_json(t, c, &fresh, S("{\"n\":3}")));
  CHECK_RC(daas_txn_commit(t, &lsn), DAAS_CONFLICT);
  CHECK(lsn == 0);
  daas_txn_free(t);
  CHECK_OK(GetJson(c, &fresh, text, sizeof text));
  CHECK(strcmp(text, "{\"n\":2}") == 0);

  /* Freed without commit: rolled back. */
  CHECK_OK(daas_txn_begin(db, DAAS_SYNC_DEFAULT, &t));
  CHECK_OK(daas_txn_delete(t, c, &x));
  CHECK_RC(daas_txn_get(t, c, &x, NULL, 0, &len), DAAS_NOT_FOUND);
  daas_txn_free(t);
  CHECK_OK(GetJson(c, &x, text, sizeof text));

  /* Read-only, flags, NULLs. */
  CHECK_OK(daas_txn_begin(db, DAAS_TXN_READ_ONLY, &t));
  CHECK_RC(daas_txn_insert(t, c, kDocA1, sizeof kDocA1, &fresh), DAAS_INVALID_ARGUMENT);
  CHECK_MSG("read-only");
  CHECK_OK(daas_txn_commit(t, NULL));
  daas_txn_free(t);
  CHECK_RC(daas_txn_begin(db, 0x100, &t), DAAS_INVALID_ARGUMENT);
  CHECK(t == NULL);
  CHECK_RC(daas_txn_begin(NULL, 0, &t), DAAS_INVALID_ARGUMENT);
  CHECK_RC(daas_txn_commit(NULL, NULL), DAAS_INVALID_ARGUMENT);
  daas_txn_free(NULL);
  CHECK_OK(daas_db_close(db));
}

/* Schema files: applied all or nothing, read back, and as TypeScript. */
static void TestSchemaFiles(void) {
  daas_db* db = OpenMemory();
  CHECK(db != NULL);
  CHECK_OK(daas_db_apply_schema_file(
      db, S("{\"collections\":{\"users\":{\"version\":1,\"fields\":{\"age\":{\"type\":"
            "\"int\",\"min\":0}}}}}")));
  daas_collection* users = NULL;
  CHECK_OK(daas_db_get_collection(db, S("users"), &users));
  daas_id id;
  CHECK_RC(daas_collection_insert_json(users, S("{\"age\":-1}"), &id), DAAS_SCHEMA_VIOLATION);
  char text[1024];
  size_t len = 0;
  CHECK_OK(daas_db_get_schema_file(db, text, sizeof text, &len));
  CHECK(strstr(text, "\"users\"") != NULL && strstr(text, "\"min\":0") != NULL);
  CHECK_OK(daas_db_types(db, text, sizeof text, &len));
  CHECK(strstr(text, "age") != NULL);
  CHECK_RC(daas_db_types(db, text, 4, &len), DAAS_RESOURCE_EXHAUSTED);
  CHECK(len > 4);
  CHECK_RC(daas_db_apply_schema_file(db, S("{\"collections\":")), DAAS_INVALID_ARGUMENT);
  CHECK_OK(daas_db_close(db));
}

/* Cursors: every document in ID order with a filter, writes between calls, resuming after an ID,
 * both output forms. */
static void TestCursors(void) {
  daas_db* db = OpenMemory();
  CHECK(db != NULL);
  daas_collection* c = NULL;
  CHECK_OK(daas_db_create_collection(db, S("k"), &c));
  daas_id ids[10];
  char json[32];
  for (int i = 0; i < 10; ++i) {
    int n = snprintf(json, sizeof json, "{\"i\":%d}", i);
    CHECK_OK(daas_collection_insert_json(c, json, (size_t)n, &ids[i]));
  }
  daas_cursor* cur = NULL;
  CHECK_RC(daas_cursor_open(c, S("i >"), NULL, &cur), DAAS_INVALID_ARGUMENT);
  CHECK(cur == NULL);
  CHECK_OK(daas_cursor_open(c, S("i % 2 = 0"), NULL, &cur));
  daas_id id;
  const uint8_t* doc = NULL;
  size_t len = 0;
  int got = 0, seen = 0;
  for (;;) {
    CHECK_OK(daas_cursor_next(cur, &id, &doc, &len, &got));
    if (!got) break;
    CHECK(memcmp(id.bytes, ids[2 * seen].bytes, sizeof id.bytes) == 0);
    /* No lock is held between calls: writing to the collection here is fine. */
    CHECK_OK(daas_collection_patch_json(c, &id, S("{\"seen\":true}")));
    ++seen;
  }
  CHECK(seen == 5);
  daas_cursor_close(cur);

  /* After an ID, into a caller buffer: too small keeps the document for the retry. */
  CHECK_OK(daas_cursor_open(c, NULL, 0, &ids[7], &cur));
  uint8_t buf[64];
  CHECK_RC(daas_cursor_next_into(cur, &id, buf, 2, &len, &got), DAAS_RESOURCE_EXHAUSTED);
  CHECK(got == 0 && len > 2);
  CHECK_OK(daas_cursor_next_into(cur, &id, buf, sizeof buf, &len, &got));
  CHECK(got == 1 && memcmp(id.bytes, ids[8].bytes, sizeof id.bytes) == 0);
  CHECK_OK(daas_cursor_next_into(cur, &id, buf, sizeof buf, &len, &got));
  CHECK(got == 1 && memcmp(id.bytes, ids[9].bytes, sizeof id.bytes) == 0);
  CHECK_OK(daas_cursor_next_into(cur, &id, buf, sizeof buf, &len, &got));
  CHECK(got == 0);
  CHECK_RC(daas_cursor_next(cur, NULL, &doc, &len, &got), DAAS_INVALID_ARGUMENT);
  daas_cursor_close(cur);
  daas_cursor_close(NULL);
  CHECK_OK(daas_db_close(db));
}

/* A read-only transaction's snapshot: its cursor and gets see the database as of its LSN while
 * writes go on; then the change feed continues from that LSN. */
static void TestSnapshots(void) {
  daas_db* db = OpenMemory();
  CHECK(db != NULL);
  daas_collection* c = NULL;
  CHECK_OK(daas_db_create_collection(db, S("s"), &c));
  daas_id a, b;
  CHECK_OK(daas_collection_insert_json(c, S("{\"n\":1}"), &a));
  CHECK_OK(daas_collection_insert_json(c, S("{\"n\":2}"), &b));
  daas_txn* rw = NULL;
  CHECK_OK(daas_txn_begin(db, 0, &rw));
  CHECK(daas_txn_snapshot_lsn(rw) == 0);
  daas_cursor* cur = NULL;
  CHECK_RC(daas_txn_cursor_open(rw, c, NULL, 0, NULL, &cur), DAAS_INVALID_ARGUMENT);
  daas_txn_free(rw);
  CHECK_RC(daas_txn_cursor_open(NULL, c, NULL, 0, NULL, &cur), DAAS_INVALID_ARGUMENT);

  daas_txn* snap = NULL;
  CHECK_OK(daas_txn_begin(db, DAAS_TXN_READ_ONLY, &snap));
  daas_db_stats st;
  CHECK_OK(daas_db_stats_get(db, &st, sizeof st));
  const uint64_t at = daas_txn_snapshot_lsn(snap);
  CHECK(at == st.visible_lsn && st.snapshots_open == 1);
  /* What the snapshot will not see, a feed from its LSN delivers. */
  daas_feed* feed = NULL;
  CHECK_OK(daas_feed_open(db, at, 0, &feed));
  CHECK_OK(daas_txn_cursor_open(snap, c, S("n > 0"), NULL, &cur));
  CHECK_OK(daas_collection_replace_json(c, &a, S("{\"n\":10}")));
  CHECK_OK(daas_collection_delete(c, &b));
  CHECK_OK(daas_db_stats_get(db, &st, sizeof st));
  CHECK(st.snapshot_history_bytes > 0);
  daas_id id;
  const uint8_t* doc = NULL;
  size_t len = 0;
  int got = 0, seen = 0;
  for (;;) {
    CHECK_OK(daas_cursor_next(cur, &id, &doc, &len, &got));
    if (!got) break;
    ++seen;
  }
  CHECK(seen == 2);
  char text[64];
  CHECK_OK(daas_txn_get_json(snap, c, &a, text, sizeof text, &len));
  CHECK(strcmp(text, "{\"n\":1}") == 0);
  CHECK_OK(daas_txn_get_json(snap, c, &b, text, sizeof text, &len));
  /* Many at once, from the snapshot too: a was replaced and b deleted since it began. */
  {
    daas_collection* colls[2] = {c, c};
    const daas_id want[2] = {a, b};
    uint8_t many[64];
    size_t offsets[2], lengths[2];
    CHECK_OK(daas_txn_get_many(snap, 2, colls, want, many, sizeof many, &len, offsets, lengths));
    CHECK(lengths[0] != DAAS_ABSENT && lengths[1] != DAAS_ABSENT);
    /* {"n":1} and {"n":2}: a one-entry map whose value is the last byte. */
    CHECK(many[offsets[0] + lengths[0] - 1] == 1 && many[offsets[1] + lengths[1] - 1] == 2);
    CHECK_RC(daas_txn_get_many(NULL, 2, colls, want, many, sizeof many, &len, offsets, lengths),
             DAAS_INVALID_ARGUMENT);
  }
  daas_cursor_close(cur);
  /* A cursor outliving its transaction's end fails instead of reading freed versions. */
  CHECK_OK(daas_txn_cursor_open(snap, c, NULL, 0, NULL, &cur));
  CHECK_OK(daas_txn_commit(snap, NULL));
  CHECK_RC(daas_cursor_next(cur, &id, &doc, &len, &got), DAAS_ABORTED);
  daas_cursor_close(cur);
  daas_txn_free(snap);
  CHECK_OK(daas_db_stats_get(db, &st, sizeof st));
  CHECK(st.snapshots_open == 0 && st.snapshot_history_bytes == 0);

  daas_change ch;
  CHECK_OK(daas_feed_next(feed, 0, &ch, &got));
  CHECK(got == 1 && ch.op == DAAS_CHANGE_UPDATE && ch.lsn == at + 1);
  CHECK_OK(daas_feed_next(feed, 0, &ch, &got));
  CHECK(got == 1 && ch.op == DAAS_CHANGE_DELETE && ch.lsn == at + 2);
  daas_feed_close(feed);
  CHECK_OK(daas_db_close(db));
}

/* The change feed: inserts, updates and deletes in LSN order, before-images, position. */
static void TestChangeFeed(void) {
  daas_db* db = OpenMemory();
  CHECK(db != NULL);
  daas_collection* c = NULL;
  CHECK_OK(daas_db_create_collection(db, S("f"), &c));
  daas_feed* feed = NULL;
  CHECK_RC(daas_feed_open(db, DAAS_FEED_FROM_NOW, 0x8, &feed), DAAS_INVALID_ARGUMENT);
  CHECK_RC(daas_feed_open(db, 5, 0, &feed), DAAS_INVALID_ARGUMENT); /* past the last commit */
  CHECK_OK(daas_feed_open(db, DAAS_FEED_FROM_NOW, DAAS_FEED_BEFORE_IMAGES, &feed));
  daas_id id;
  CHECK_OK(daas_collection_insert(c, kDocA1, sizeof kDocA1, &id));
  CHECK_OK(daas_collection_replace(c, &id, kDocA2, sizeof kDocA2));
  CHECK_OK(daas_collection_delete(c, &id));
  daas_change ch;
  int got = 0;
  CHECK_OK(daas_feed_next(feed, 1000, &ch, &got));
  CHECK(got == 1 && ch.lsn == 1 && ch.op == DAAS_CHANGE_INSERT && ch.time_ms > 0);
  CHECK(memcmp(ch.id.bytes, id.bytes, sizeof id.bytes) == 0);
  CHECK(ch.collection_len == 1 && ch.collection[0] == 'f');
  CHECK(ch.doc_len == sizeof kDocA1 && memcmp(ch.doc, kDocA1, ch.doc_len) == 0);
  CHECK(ch.before == NULL);
  CHECK_OK(daas_feed_next(feed, 1000, &ch, &got));
  CHECK(got == 1 && ch.lsn == 2 && ch.op == DAAS_CHANGE_UPDATE);
  CHECK(ch.before_len == sizeof kDocA1 && memcmp(ch.before, kDocA1, ch.before_len) == 0);
  CHECK_OK(daas_feed_next(feed, 1000, &ch, &got));
  CHECK(got == 1 && ch.lsn == 3 && ch.op == DAAS_CHANGE_DELETE && ch.doc == NULL);
  CHECK(ch.before_len == sizeof kDocA2);
  uint64_t position = 0;
  CHECK_OK(daas_feed_position(feed, &position));
  CHECK(position == 3);
  CHECK_OK(daas_feed_next(feed, 10, &ch, &got)); /* nothing more within 10 ms */
  CHECK(got == 0);
  CHECK_RC(daas_feed_next(feed, 0, NULL, &got), DAAS_INVALID_ARGUMENT);
  daas_feed_close(feed);
  daas_feed_close(NULL);
  CHECK_OK(daas_db_close(db));
}

/* Sync mode in the options, per-write flags, sync, get-many, stats, compact, backup, restore. */
static void TestDatabaseCalls(void) {
  char dir[] = "/tmp/daas_capi_db_XXXXXX";
  CHECK(mkdtemp(dir) != NULL);
  char path[64], backup[64], restored[64];
  snprintf(path, sizeof path, "%s/db", dir);
  snprintf(backup, sizeof backup, "%s/backup", dir);
  snprintf(restored, sizeof restored, "%s/restored", dir);
  daas_options opts;
  CHECK_OK(daas_options_init(&opts, sizeof opts));
  CHECK(opts.sync_mode == DAAS_SYNC_DEFAULT && opts.sync_interval_ms == 0);
  opts.dir = path;
  opts.dir_len = strlen(path);
  opts.sync_mode = 9;
  daas_db* db = NULL;
  CHECK_RC(daas_db_open(&opts, &db), DAAS_INVALID_ARGUMENT);
  CHECK_MSG("sync_mode");
  opts.sync_mode = DAAS_SYNC_OFF;
  opts.sync_interval_ms = 5;
  CHECK_OK(daas_db_open(&opts, &db));
  daas_collection *a = NULL, *b = NULL;
  CHECK_OK(daas_db_create_collection(db, S("a"), &a));
  CHECK_OK(daas_db_create_collection(db, S("b"), &b));

  daas_batch* batch = NULL;
  CHECK_OK(daas_batch_new(&batch));
  CHECK_OK(daas_batch_insert(batch, a, kDocA1, sizeof kDocA1));
  CHECK_OK(daas_batch_insert(batch, b, kDocA2, sizeof kDocA2));
  daas_id ids[2];
  size_t n = 0;
  CHECK_RC(daas_db_write_flags(db, batch, 0x10, ids, 2, &n), DAAS_INVALID_ARGUMENT);
  CHECK_OK(daas_db_write_flags(db, batch, DAAS_SYNC_FULL, ids, 2, &n)); /* durable, this one */
  CHECK(n == 2);
  daas_db_stats st;
  memset(&st, 0, sizeof st);
  CHECK_OK(daas_db_stats_get(db, &st, sizeof st));
  CHECK(st.visible_lsn == 1 && st.durable_lsn == 1);
  CHECK_OK(daas_db_write(db, batch, ids, 2, &n)); /* the database's mode: off */
  CHECK_OK(daas_db_sync(db));
  CHECK_OK(daas_db_stats_get(db, &st, sizeof st));
  CHECK(st.visible_lsn == 2 && st.durable_lsn == 2);
  daas_batch_free(batch);

  /* Get many: present, absent, across collections; sizes first. */
  daas_collection* colls[3] = {a, b, a};
  daas_id want[3] = {ids[0], ids[1], ids[1]}; /* the third names a document of b in a */
  uint8_t buf[64];
  size_t len = 0, offsets[3], lengths[3];
  CHECK_RC(daas_db_get_many(db, 3, colls, want, NULL, 0, &len, offsets, lengths),
           DAAS_RESOURCE_EXHAUSTED);
  CHECK(len == sizeof kDocA1 + sizeof kDocA2);
  CHECK_OK(daas_db_get_many(db, 3, colls, want, buf, sizeof buf, &len, offsets, lengths));
  CHECK(lengths[0] == sizeof kDocA1 && memcmp(buf + offsets[0], kDocA1, lengths[0]) == 0);
  CHECK(lengths[1] == sizeof kDocA2 && memcmp(buf + offsets[1], kDocA2, lengths[1]) == 0);
  CHECK(lengths[2] == DAAS_ABSENT);
  CHECK_RC(daas_db_get_many(db, 1, NULL, want, buf, sizeof buf, &len, offsets, lengths),
           DAAS_INVALID_ARGUMENT);
  /* A count no caller could have buffers for is refused before anything is allocated. */
  CHECK_RC(daas_db_get_many(db, (size_t)-1, colls, want, buf, sizeof buf, &len, offsets, lengths),
           DAAS_INVALID_ARGUMENT);

  daas_collection_stats cs;
  CHECK_OK(daas_collection_stats_get(a, &cs, sizeof cs));
  CHECK(cs.documents == 2 && cs.shards == 1 && cs.document_bytes == 2 * sizeof kDocA1);
  CHECK_RC(daas_collection_stats_get(a, NULL, sizeof cs), DAAS_INVALID_ARGUMENT);

  CHECK_OK(daas_db_compact(db));
  CHECK_OK(daas_db_backup(db, backup, strlen(backup)));
  CHECK_RC(daas_db_backup(db, backup, strlen(backup)), DAAS_ALREADY_EXISTS);
  CHECK_RC(daas_db_backup(db, NULL, 3), DAAS_INVALID_ARGUMENT);
  CHECK_OK(daas_db_close(db));

  /* check, on the closed database: sound; then with one byte of its manifest flipped. */
  daas_check_report report;
  char problems[1024];
  CHECK_OK(daas_check(path, strlen(path), &report, sizeof report, problems, sizeof problems, &len));
  CHECK(report.collections == 2 && report.problems == 0 && len == 0 && problems[0] == '\0');
  CHECK(report.shard_files == report.shards && report.torn_tail == 0);
  CHECK(report.checkpoint_documents + report.log_records > 0);
  CHECK_OK(daas_check(path, strlen(path), &report, sizeof report, NULL, 0, &len));
  CHECK_RC(daas_check(dir, strlen(dir), &report, sizeof report, NULL, 0, &len), DAAS_NOT_FOUND);
  CHECK_RC(daas_check(path, strlen(path), NULL, sizeof report, NULL, 0, &len),
           DAAS_INVALID_ARGUMENT);
  char damaged[64];
  snprintf(damaged, sizeof damaged, "%s/damaged", dir);
  CHECK_OK(daas_restore_backup(backup, strlen(backup), damaged, strlen(damaged)));
  char manifest[96];
  snprintf(manifest, sizeof manifest, "%s/MANIFEST", damaged);
  FILE* f = fopen(manifest, "r+b");
  CHECK(f != NULL);
  if (f != NULL) {
    CHECK(fseek(f, 20, SEEK_SET) == 0);
    const int c = fgetc(f);
    CHECK(fseek(f, 20, SEEK_SET) == 0);
    fputc(c ^ 0x40, f);
    fclose(f);
  }
  /* Damage is a finding, not a failure of the call: the problem names the file and byte. */
  CHECK_OK(daas_check(damaged, strlen(damaged), &report, sizeof report, problems, sizeof problems,
                      &len));
  CHECK(report.problems == 1 && len == strlen(problems) && strstr(problems, "MANIFEST at byte"));
  CHECK_RC(daas_check(damaged, strlen(damaged), &report, sizeof report, problems, 4, &len),
           DAAS_RESOURCE_EXHAUSTED);
  CHECK(report.problems == 1 && len > 4); /* the counts are filled anyway; len is what it needs */

  CHECK_OK(daas_restore_backup(backup, strlen(backup), restored, strlen(restored)));
  opts.dir = restored;
  opts.dir_len = strlen(restored);
  opts.create_if_missing = 0;
  CHECK_OK(daas_db_open(&opts, &db));
  CHECK_OK(daas_db_get_collection(db, S("a"), &a));
  uint64_t count = 0;
  CHECK_OK(daas_collection_count(a, &count));
  CHECK(count == 2);
  CHECK_OK(daas_db_close(db));
  CHECK(nftw(dir, RemoveEntry, 16, FTW_DEPTH | FTW_PHYS) == 0);
}

static void TestPersistence(void) {
  char dir[] = "/tmp/daas_capi_test_XXXXXX";
  CHECK(mkdtemp(dir) != NULL);
  char path[64];
  snprintf(path, sizeof path, "%s/db", dir);

  daas_options opts;
  CHECK_OK(daas_options_init(&opts, sizeof opts));
  opts.dir = path;
  opts.dir_len = strlen(path);
  daas_db* db = NULL;

  /* No database there and not allowed to create one. */
  opts.create_if_missing = 0;
  CHECK_RC(daas_db_open(&opts, &db), DAAS_NOT_FOUND);
  CHECK(db == NULL);

  opts.create_if_missing = 1;
  CHECK_OK(daas_db_open(&opts, &db));
  daas_collection* c = NULL;
  CHECK_OK(daas_db_create_collection(db, S("kept"), &c));
  daas_id id, id2;
  CHECK_OK(daas_collection_insert_json(c, S("{\"kept\":\"yes\"}"), &id));
  CHECK_OK(daas_db_checkpoint(db));
  CHECK_OK(daas_collection_insert(c, kDocA1, sizeof kDocA1, &id2)); /* after the checkpoint */

  /* The directory is held while open. */
  daas_db* second = NULL;
  CHECK_RC(daas_db_open(&opts, &second), DAAS_BUSY);
  CHECK(second == NULL);
  CHECK_OK(daas_db_close(db));

  opts.create_if_missing = 0;
  CHECK_OK(daas_db_open(&opts, &db));
  CHECK_OK(daas_db_get_collection(db, S("kept"), &c));
  char text[64];
  CHECK_OK(GetJson(c, &id, text, sizeof text));
  CHECK(strcmp(text, "{\"kept\":\"yes\"}") == 0);
  CHECK_OK(GetJson(c, &id2, text, sizeof text));
  CHECK(strcmp(text, "{\"a\":1}") == 0);
  uint64_t n = 0;
  CHECK_OK(daas_collection_count(c, &n));
  CHECK(n == 2);
  CHECK_OK(daas_db_close(db));

  CHECK(nftw(dir, RemoveEntry, 16, FTW_DEPTH | FTW_PHYS) == 0);
}

int main(void) {
  TestStatusAndErrors();
  TestLastErrorIsPerThread();
  TestOptionsAndOpen();
  TestIds();
  TestCollections();
  TestDocuments();
  TestThreads();
  TestLimits();
  TestBatches();
  TestConversions();
  TestBufferProtocol();
  TestDroppedCollection();
  TestVersionsAndConditionalWrites();
  TestTransactions();
  TestSchemaFiles();
  TestCursors();
  TestSnapshots();
  TestChangeFeed();
  TestDatabaseCalls();
  TestPersistence();
  printf("capi: %d passed, %d failed\n", g_passed, g_failed);
  return g_failed == 0 ? 0 : 1;
}
