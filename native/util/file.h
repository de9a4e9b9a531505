// What a path names, before anything opens it: opening a FIFO blocks until a
// writer comes, and reading /dev/zero never ends, so only regular files are read.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace di {

enum class PathKind { kMissing, kRegularFile, kOther };

inline PathKind ProbePath(const std::string& path, uintmax_t* size) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) return PathKind::kMissing;
  if (!std::filesystem::is_regular_file(status)) return PathKind::kOther;
  *size = std::filesystem::file_size(path, ec);
  return ec ? PathKind::kMissing : PathKind::kRegularFile;
}

}  // namespace di
