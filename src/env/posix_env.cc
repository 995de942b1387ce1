#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include "core/quote.h"
#include "core/status_macros.h"
#include "env/env.h"

namespace daas::env {
namespace {

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) ::close(fd_);
  }

  Status Append(std::string_view data) override {
    while (!data.empty()) {
      ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoToStatus("write", path_, errno);
      }
      data.remove_prefix(static_cast<size_t>(n));
    }
    return Status::OK();
  }

  Status Sync() override {
    if (::fdatasync(fd_) != 0) return ErrnoToStatus("fdatasync", path_, errno);
    return Status::OK();
  }

  Status Close() override {
    int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) return ErrnoToStatus("close", path_, errno);
    return Status::OK();
  }

 private:
  std::string path_;
  int fd_;
};

class PosixFileLock final : public FileLock {
 public:
  explicit PosixFileLock(int fd) : fd_(fd) {}
  ~PosixFileLock() override { ::close(fd_); }  // closing releases the flock

 private:
  int fd_;
};

class MappedContents final : public FileContents {
 public:
  MappedContents(void* addr, size_t size) : addr_(addr), size_(size) {}
  ~MappedContents() override {
    if (size_ != 0) ::munmap(addr_, size_);
  }
  std::string_view data() const override { return {static_cast<const char*>(addr_), size_}; }
  void WillNeed() const override {
    if (size_ == 0) return;
    // Advice only: a failure costs speed, never correctness.
    // WILLNEED reads the whole range ahead once; the mapping keeps its access advice (MADV_RANDOM
    // for a sparse one), so point reads that go on using it do not turn into readahead.
    ::madvise(addr_, size_, MADV_WILLNEED);
  }

 private:
  void* addr_;
  size_t size_;
};

// A file opened read-only, and its size at opening. The caller closes fd.
struct OpenFile {
  int fd;
  size_t size;
};

Result<OpenFile> OpenForReading(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoToStatus("open", path, errno);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    Status s = ErrnoToStatus("stat", path, errno);
    ::close(fd);
    return s;
  }
  return OpenFile{fd, static_cast<size_t>(st.st_size)};
}

class PosixEnv final : public Env {
 public:
  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return ErrnoToStatus("open", path, errno);
    return std::unique_ptr<WritableFile>(new PosixWritableFile(path, fd));
  }

  Status TruncateFile(const std::string& path, uint64_t size) override {
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoToStatus("open", path, errno);
    Status s;
    if (::ftruncate(fd, static_cast<off_t>(size)) != 0) {
      s = ErrnoToStatus("truncate", path, errno);
    } else if (::fdatasync(fd) != 0) {
      s = ErrnoToStatus("fdatasync", path, errno);
    }
    ::close(fd);
    return s;
  }

  Result<std::unique_ptr<FileContents>> MapFile(const std::string& path,
                                                MapAccess access) override {
    DAAS_ASSIGN_OR_RETURN(const OpenFile f, OpenForReading(path));
    void* addr = nullptr;
    if (f.size != 0) {
      const bool whole = access == MapAccess::kWhole;
      addr = ::mmap(nullptr, f.size, PROT_READ, MAP_PRIVATE | (whole ? MAP_POPULATE : 0), f.fd, 0);
      if (addr == MAP_FAILED) {
        Status s = ErrnoToStatus("mmap", path, errno);
        ::close(f.fd);
        return s;
      }
      // Whole: read ahead, front to back. Sparse: a point read faults in one page, not the
      // readahead window around it.
      ::madvise(addr, f.size, whole ? MADV_SEQUENTIAL : MADV_RANDOM);
    }
    ::close(f.fd);  // the mapping stays valid
    return std::unique_ptr<FileContents>(new MappedContents(addr, f.size));
  }

  Result<std::string> ReadFile(const std::string& path) override {
    return ReadFilePrefix(path, SIZE_MAX);
  }

  Result<std::string> ReadFilePrefix(const std::string& path, size_t max_bytes) override {
    DAAS_ASSIGN_OR_RETURN(const OpenFile f, OpenForReading(path));
    const int fd = f.fd;
    std::string out;
    out.resize(std::min(f.size, max_bytes));
    size_t got = 0;
    while (got < out.size()) {
      ssize_t n = ::pread(fd, out.data() + got, out.size() - got, static_cast<off_t>(got));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        Status s = ErrnoToStatus("read", path, errno);
        ::close(fd);
        return s;
      }
      if (n == 0) break;  // the file shrank under us: return what is there
      got += static_cast<size_t>(n);
    }
    out.resize(got);
    ::close(fd);
    return out;
  }

  Status RenameFile(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) return ErrnoToStatus("rename", from, errno);
    return Status::OK();
  }

  Status RemoveFile(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return ErrnoToStatus("remove", path, errno);
    return Status::OK();
  }

  Status CreateDirIfMissing(const std::string& path) override {
    if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
      return ErrnoToStatus("create directory", path, errno);
    }
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return ErrnoToStatus("stat", path, errno);
    if (!S_ISDIR(st.st_mode)) return Status::InvalidArgument("'" + path + "' is not a directory");
    return Status::OK();
  }

  Status SyncDir(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return ErrnoToStatus("open directory", path, errno);
    int rc = ::fsync(fd);
    int err = errno;
    ::close(fd);
    if (rc != 0) return ErrnoToStatus("fsync directory", path, err);
    return Status::OK();
  }

  Result<uint64_t> GetFileSize(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return ErrnoToStatus("stat", path, errno);
    return static_cast<uint64_t>(st.st_size);
  }

  Result<bool> FileExists(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) == 0) return true;
    if (errno == ENOENT) return false;
    return ErrnoToStatus("stat", path, errno);
  }

  Result<std::vector<std::string>> ListDir(const std::string& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return ErrnoToStatus("list directory", dir, errno);
    std::vector<std::string> names;
    while (struct dirent* e = ::readdir(d)) {
      std::string_view name(e->d_name);
      if (name != "." && name != "..") names.emplace_back(name);
    }
    ::closedir(d);
    return names;
  }

  Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) override {
    // A directory is locked through a read-only descriptor of itself (flock works on any open
    // file); anything else is opened, and created if missing, as a lock file.
    struct stat st;
    const bool is_dir = ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    int fd = is_dir ? ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                    : ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
      return ErrnoToStatus(is_dir ? "open directory to lock" : "open lock file", path, errno);
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      int err = errno;
      ::close(fd);
      if (err == EWOULDBLOCK) {
        return Status::Busy("database " + core::QuoteForMessage(path, core::kMaxQuotedPathBytes) +
                            " is already open in another process or handle");
      }
      return ErrnoToStatus("lock", path, err);
    }
    return std::unique_ptr<FileLock>(new PosixFileLock(fd));
  }
};

}  // namespace

Env* Env::Default() {
  static PosixEnv* env = new PosixEnv();  // never destroyed: usable from static destructors
  return env;
}

}  // namespace daas::env
