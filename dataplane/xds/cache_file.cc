#include "dataplane/xds/cache_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/hash.h"
#include "common/strings.h"

namespace sluice {

namespace {
constexpr std::string_view kMagic = "SLUICECACHE1\n";
constexpr size_t kHeaderSize = kMagic.size() + 8 + 32;

absl::Status Errno(std::string_view what, const std::string& path) {
  return absl::InternalError(absl::StrCat(std::string(what), " ", path, ": ", strerror(errno)));
}

bool WriteAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    off += static_cast<size_t>(n);
  }
  return true;
}
}  // namespace

absl::Status WriteCacheFile(const std::string& path,
                            const discovery::v1::CachedSnapshot& snapshot) {
  std::string payload;
  if (!snapshot.SerializeToString(&payload)) return absl::InternalError("cannot serialize snapshot");
  std::string data(kMagic);
  uint64_t len = payload.size();
  for (int i = 0; i < 8; ++i) data.push_back(static_cast<char>((len >> (8 * i)) & 0xff));
  data.append(Sha256Raw(payload));
  data.append(payload);

  std::string tmp = absl::StrCat(path, ".tmp.", getpid());
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("cannot create", tmp);
  if (!WriteAll(fd, data) || fsync(fd) != 0) {
    absl::Status s = Errno("cannot write", tmp);
    close(fd);
    unlink(tmp.c_str());
    return s;
  }
  close(fd);
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    absl::Status s = Errno("cannot rename to", path);
    unlink(tmp.c_str());
    return s;
  }
  std::string dir = path.find('/') == std::string::npos ? "." : path.substr(0, path.rfind('/'));
  if (dir.empty()) dir = "/";
  int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
  return absl::OkStatus();
}

absl::StatusOr<discovery::v1::CachedSnapshot> ReadCacheFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("no cache file at ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseCacheFile(ss.str(), path);
}

absl::StatusOr<discovery::v1::CachedSnapshot> ParseCacheFile(std::string_view data,
                                                             std::string_view name) {
  if (data.size() < kHeaderSize || data.substr(0, kMagic.size()) != kMagic) {
    return absl::DataLossError(
        absl::StrCat("cache file ", Sv(name), " is not a Sluice cache file"));
  }
  uint64_t len = 0;
  for (int i = 0; i < 8; ++i) {
    len |= static_cast<uint64_t>(static_cast<unsigned char>(data[kMagic.size() + i])) << (8 * i);
  }
  if (len != data.size() - kHeaderSize) {
    return absl::DataLossError(absl::StrCat("cache file ", Sv(name), " is truncated (",
                                            data.size() - kHeaderSize, " of ", len, " bytes)"));
  }
  std::string_view payload = data.substr(kHeaderSize);
  if (Sha256Raw(payload) != data.substr(kMagic.size() + 8, 32)) {
    return absl::DataLossError(absl::StrCat("cache file ", Sv(name), " fails its checksum"));
  }
  discovery::v1::CachedSnapshot snapshot;
  if (!snapshot.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    return absl::DataLossError(absl::StrCat("cache file ", Sv(name), " cannot be decoded"));
  }
  return snapshot;
}

}  // namespace sluice
