#include "env/env.h"

#include <cerrno>
#include <cstring>

#include "core/quote.h"
#include "core/status_macros.h"

namespace daas::env {

std::string JoinPath(std::string_view dir, std::string_view name) {
  std::string out(dir);
  if (!out.empty() && out.back() != '/') out += '/';
  out += name;
  return out;
}

Status ErrnoToStatus(std::string_view what, const std::string& path, int err) {
  std::string msg(what);
  msg += ' ';
  msg += core::QuoteForMessage(path, core::kMaxQuotedPathBytes);
  msg += ": ";
  msg += std::strerror(err);
  if (err == ENOENT) return Status::NotFound(msg);
  if (err == ENOSPC || err == EDQUOT) return Status::ResourceExhausted(msg);
  return Status::IOError(msg);
}

Result<std::string> Env::ReadFilePrefix(const std::string& path, size_t max_bytes) {
  Result<std::string> all = ReadFile(path);
  if (all.ok() && all->size() > max_bytes) all->resize(max_bytes);
  return all;
}

namespace {

class StringContents final : public FileContents {
 public:
  explicit StringContents(std::string bytes) : bytes_(std::move(bytes)) {}
  std::string_view data() const override { return bytes_; }

 private:
  std::string bytes_;
};

}  // namespace

Result<std::unique_ptr<FileContents>> Env::MapFile(const std::string& path, MapAccess) {
  DAAS_ASSIGN_OR_RETURN(std::string bytes, ReadFile(path));
  return std::unique_ptr<FileContents>(new StringContents(std::move(bytes)));
}

Status WriteFileAtomically(Env* env, const std::string& path, std::string_view contents) {
  const std::string tmp = path + ".tmp";
  DAAS_ASSIGN_OR_RETURN(auto file, env->NewWritableFile(tmp));
  DAAS_RETURN_IF_ERROR(file->Append(contents));
  DAAS_RETURN_IF_ERROR(file->Sync());
  DAAS_RETURN_IF_ERROR(file->Close());
  DAAS_RETURN_IF_ERROR(env->RenameFile(tmp, path));
  const size_t slash = path.rfind('/');
  return env->SyncDir(slash == std::string::npos ? "." : path.substr(0, slash == 0 ? 1 : slash));
}

}  // namespace daas::env
