/* An application of the installed DaaS, through include/daas/daas.h alone: opens a database in the
 * directory argv[1], inserts a document, reads it back, closes, reopens and reads it again. Prints
 * "c: ok" and exits 0 only when every step did what it should. */
#include <daas/daas.h>
#include <stdio.h>
#include <string.h>

static const char kDoc[] = "{\"name\":\"Ada\",\"age\":36}";

static int fail(const char* what) {
  fprintf(stderr, "c: %s: %s: %s\n", what, daas_status_name(daas_last_error_code()),
          daas_last_error_message());
  return 1;
}

/* Reads document `id` of collection "users" in db and checks that it is kDoc. */
static int check_document(daas_db* db, const daas_id* id) {
  daas_collection* users;
  if (daas_db_get_collection(db, "users", 5, &users) != DAAS_OK) return fail("get collection");
  char json[256];
  size_t len = 0;
  if (daas_collection_get_json(users, id, json, sizeof json, &len) != DAAS_OK) return fail("get");
  if (len != strlen(kDoc) || strcmp(json, kDoc) != 0) {
    fprintf(stderr, "c: read back %s, want %s\n", json, kDoc);
    return 1;
  }
  return 0;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  daas_options opts;
  daas_options_init(&opts, sizeof opts);
  opts.dir = argv[1];
  opts.dir_len = strlen(argv[1]);

  daas_db* db;
  if (daas_db_open(&opts, &db) != DAAS_OK) return fail("open");
  daas_collection* users;
  if (daas_db_create_collection(db, "users", 5, &users) != DAAS_OK) return fail("create");
  daas_id id;
  if (daas_collection_insert_json(users, kDoc, strlen(kDoc), &id) != DAAS_OK) return fail("insert");
  if (check_document(db, &id) != 0) return 1;
  if (daas_db_close(db) != DAAS_OK) return fail("close");

  if (daas_db_open(&opts, &db) != DAAS_OK) return fail("reopen");
  if (check_document(db, &id) != 0) return 1;
  if (daas_db_close(db) != DAAS_OK) return fail("close after reopen");
  printf("c: ok\n");
  return 0;
}
