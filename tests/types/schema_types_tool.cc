// daas_schema_types SCHEMA.json: prints the TypeScript declarations for a schema file
// (schema::GenerateTypeScript), as `daas types` does for an open database's schemas, so that
// types_tsc needs no database and no CLI build.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "schema/schema.h"
#include "schema/typescript.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s SCHEMA.json\n", argv[0]);
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "%s: cannot read %s\n", argv[0], argv[1]);
    return 1;
  }
  std::stringstream text;
  text << in.rdbuf();
  auto schema = daas::schema::ParseSchemaFile(text.str());
  if (!schema.ok()) {
    std::fprintf(stderr, "%s: %s\n", argv[1], schema.status().ToString().c_str());
    return 1;
  }
  std::cout << daas::schema::GenerateTypeScript(*schema);
  return std::cout.good() ? 0 : 1;
}
