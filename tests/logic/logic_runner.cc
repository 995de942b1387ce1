// daas_logic: runs one logic test file (STYLE.md §8) against the public API of a real database in
// a temporary directory. Usage: daas_logic FILE.test
//
// A file is a sequence of records separated by blank lines; lines starting with '#' are comments.
//
//   statement ok                      the operation on the next line succeeds
//   <operation>
//
//   statement error <code> [<text>]   it fails with that status code name (invalid_argument,
//   <operation>                       not_found, ...) and a message containing <text>
//
//   query <collection>                the documents matching the filter, in ID order, one compact
//   <filter>                          JSON object a line; JSON in the file is normalized, so its
//   ----                              spacing does not matter. No lines after ---- means none.
//   <document>...
//
//   count <collection>                the number of documents matching the filter
//   <filter>
//   ----
//   <n>
//
//   restart                           close the database (a clean close) and open it again
//
// Operations: create C | drop C | rename A B | insert C <json> [as $name] | replace C $name <json>
// | patch C $name <json> | delete C $name | get C $name | find C <filter> (runs the filter, for its
// status) | schema C [<json>] (sets the collection's schema, docs/schema.md; none removes it).
// `$name` stands for the ID an earlier insert bound to it; written "$name" (quoted) inside JSON,
// a filter or an expected document, it is replaced by that ID's text. Exit status 0 when every
// record holds, 1 otherwise (each failure printed with its file and line), 2 for an unreadable or
// malformed file.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "daas/daas.hpp"

namespace daas {
namespace {

struct Record {
  int line = 0;                     // of the record's first line
  std::vector<std::string> lines;   // up to "----"
  std::vector<std::string> expect;  // after "----"
  bool has_expect = false;
};

std::vector<std::string> Words(const std::string& s, size_t max_words) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size() && out.size() + 1 < max_words) {
    while (i < s.size() && s[i] == ' ') ++i;
    size_t j = s.find(' ', i);
    if (j == std::string::npos) j = s.size();
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  while (i < s.size() && s[i] == ' ') ++i;
  if (i < s.size()) out.push_back(s.substr(i));
  return out;
}

class Runner {
 public:
  Runner(std::string file, std::string dir) : file_(std::move(file)), dir_(std::move(dir)) {}

  int Run(const std::vector<Record>& records) {
    if (!Open()) return 1;
    for (const Record& r : records) RunRecord(r);
    if (db_ != nullptr) {
      Status s = db_->Close();
      if (!s.ok()) Fail(0, "close: " + s.ToString());
    }
    std::printf("%s: %d records, %d failed\n", file_.c_str(), static_cast<int>(records.size()),
                failures_);
    return failures_ == 0 ? 0 : 1;
  }

 private:
  bool Open() {
    Options o;
    o.dir = dir_;
    auto db = Database::Open(o);
    if (!db.ok()) {
      Fail(0, "open: " + db.status().ToString());
      return false;
    }
    db_ = std::move(*db);
    return true;
  }

  void Fail(int line, const std::string& what) {
    ++failures_;
    std::fprintf(stderr, "%s:%d: %s\n", file_.c_str(), line, what.c_str());
  }

  void RunRecord(const Record& r) {
    const std::vector<std::string> head = Words(r.lines[0], 3);
    const std::string& kind = head[0];
    if (kind == "restart") {
      Status s = db_->Close();
      db_.reset();
      if (!s.ok()) Fail(r.line, "close: " + s.ToString());
      Open();
    } else if (kind == "statement") {
      if (r.lines.size() != 2 || head.size() < 2) return Fail(r.line, "malformed statement");
      Status s = Operation(r.lines[1]);
      if (head[1] == "ok") {
        if (!s.ok()) Fail(r.line + 1, "expected ok, got " + s.ToString());
      } else if (head[1] == "error") {
        const std::vector<std::string> want = Words(r.lines[0], 4);
        if (want.size() < 3) return Fail(r.line, "statement error needs a code name");
        if (s.ok()) return Fail(r.line + 1, "expected error " + want[2] + ", got ok");
        if (want[2] != StatusCodeName(s.code())) {
          return Fail(r.line + 1, "expected error " + want[2] + ", got " + s.ToString());
        }
        if (want.size() == 4 && s.message().find(want[3]) == std::string_view::npos) {
          Fail(r.line + 1, "error message lacks '" + want[3] + "': " + s.ToString());
        }
      } else {
        Fail(r.line, "statement must be 'ok' or 'error'");
      }
    } else if (kind == "query" || kind == "count") {
      if (head.size() != 2 || r.lines.size() != 2 || !r.has_expect) {
        return Fail(r.line, "malformed " + kind + ": a collection, a filter line and ----");
      }
      Query(r, kind == "count", head[1], r.lines[1]);
    } else {
      Fail(r.line, "unknown record '" + kind + "'");
    }
  }

  void Query(const Record& r, bool count, const std::string& collection,
             const std::string& filter) {
    auto c = db_->GetCollection(collection);
    if (!c.ok()) return Fail(r.line, c.status().ToString());
    std::vector<std::string> got;
    Status s = (*c)->Find(Substitute(filter), [&](DocId, std::string_view doc) {
      auto json = DocumentToJson(doc);
      got.push_back(json.ok() ? *json
                              : std::string("<").append(json.status().ToString()).append(">"));
      return true;
    });
    if (!s.ok()) return Fail(r.line + 1, "filter failed: " + s.ToString());
    std::vector<std::string> want;
    if (count) {
      want = r.expect;
      got = {std::to_string(got.size())};
    } else {
      for (const std::string& e : r.expect) {
        auto d = JsonToDocument(Substitute(e));
        auto j = d.ok() ? DocumentToJson(*d) : Result<std::string>(d.status());
        if (!j.ok()) return Fail(r.line, "bad expected JSON '" + e + "': " + j.status().ToString());
        want.push_back(*j);
      }
    }
    if (got != want) {
      std::string msg = "for " + filter + "\n  expected:";
      for (const auto& w : want) msg += "\n    " + w;
      msg += "\n  got:";
      for (const auto& g : got) msg += "\n    " + g;
      Fail(r.line, msg);
    }
  }

  // `text` with every quoted "$name" bound by an insert replaced by that ID's text, so documents,
  // filters and expected results can name IDs.
  std::string Substitute(std::string text) const {
    for (const auto& [name, id] : ids_) {
      const std::string quoted = std::string("\"").append(name).append("\"");
      const std::string with = std::string("\"").append(id.ToString()).append("\"");
      for (size_t at = text.find(quoted); at != std::string::npos;
           at = text.find(quoted, at + with.size())) {
        text.replace(at, quoted.size(), with);
      }
    }
    return text;
  }

  Result<DocId> Bound(const std::string& name) const {
    auto it = ids_.find(name);
    if (it == ids_.end()) return Status::InvalidArgument("no ID bound to " + name);
    return it->second;
  }

  Status Operation(const std::string& line) {
    const std::vector<std::string> w = Words(line, 3);
    const std::string& op = w[0];
    auto coll = [&]() -> Result<Collection*> {
      if (w.size() < 2) return Status::InvalidArgument("missing collection");
      return db_->GetCollection(w[1]);
    };
    if (op == "create" && w.size() == 2) return db_->CreateCollection(w[1]).status();
    if (op == "drop" && w.size() == 2) return db_->DropCollection(w[1]);
    if (op == "rename" && w.size() == 3) return db_->RenameCollection(w[1], w[2]);
    if (op == "schema" && (w.size() == 2 || w.size() == 3)) {
      auto c = coll();
      if (!c.ok()) return c.status();
      return (*c)->SetSchema(w.size() == 3 ? w[2] : "");
    }
    if (op == "find" && w.size() == 3) {
      auto c = coll();
      if (!c.ok()) return c.status();
      return (*c)->Find(w[2], [](DocId, std::string_view) { return true; });
    }
    if (op == "insert" && w.size() == 3) {
      auto c = coll();
      if (!c.ok()) return c.status();
      std::string json = w[2], name;
      if (size_t as = json.rfind(" as $"); as != std::string::npos) {
        name = json.substr(as + 4);
        json.resize(as);
      }
      auto d = JsonToDocument(Substitute(json));
      if (!d.ok()) return d.status();
      auto id = (*c)->Insert(*d);
      if (id.ok() && !name.empty()) ids_[name] = *id;
      return id.status();
    }
    const std::vector<std::string> v = Words(line, 4);
    if ((op == "replace" || op == "patch") && v.size() == 4) {
      auto c = coll();
      if (!c.ok()) return c.status();
      auto id = Bound(v[2]);
      if (!id.ok()) return id.status();
      auto d = JsonToDocument(Substitute(v[3]));
      if (!d.ok()) return d.status();
      return op == "replace" ? (*c)->Replace(*id, *d) : (*c)->Patch(*id, *d);
    }
    if ((op == "delete" || op == "get") && v.size() == 3) {
      auto c = coll();
      if (!c.ok()) return c.status();
      auto id = Bound(v[2]);
      if (!id.ok()) return id.status();
      if (op == "delete") return (*c)->Delete(*id);
      std::string out;
      return (*c)->Get(*id, &out);
    }
    return Status::InvalidArgument("unknown operation: " + line);
  }

  const std::string file_, dir_;
  std::unique_ptr<Database> db_;
  std::map<std::string, DocId> ids_;
  int failures_ = 0;
};

bool Parse(const std::string& file, std::vector<Record>* out) {
  std::ifstream in(file);
  if (!in) return false;
  std::string line;
  int n = 0;
  Record cur;
  auto flush = [&] {
    if (!cur.lines.empty()) out->push_back(std::move(cur));
    cur = Record();
  };
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.starts_with("#")) continue;
    if (line.find_first_not_of(' ') == std::string::npos) {
      flush();
      continue;
    }
    if (cur.lines.empty()) cur.line = n;
    if (cur.has_expect) {
      cur.expect.push_back(line);
    } else if (line == "----") {
      cur.has_expect = true;
    } else {
      cur.lines.push_back(line);
    }
  }
  flush();
  return true;
}

}  // namespace
}  // namespace daas

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: daas_logic FILE.test\n");
    return 2;
  }
  std::vector<daas::Record> records;
  if (!daas::Parse(argv[1], &records)) {
    std::fprintf(stderr, "daas_logic: cannot read %s\n", argv[1]);
    return 2;
  }
  const char* tmp = std::getenv("TMPDIR");
  std::string dir = std::string(tmp && *tmp ? tmp : "/tmp") + "/daas_logic_XXXXXX";
  if (::mkdtemp(dir.data()) == nullptr) {
    std::fprintf(stderr, "daas_logic: cannot create a temp dir\n");
    return 2;
  }
  int rc = daas::Runner(argv[1], dir + "/db").Run(records);
  std::filesystem::remove_all(dir);
  return rc;
}
