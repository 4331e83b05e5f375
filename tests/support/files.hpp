#pragma once
// What is on disk, for tests that check erased data left no file.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace leadbase::test {

/// Whether any file below `dir` holds `needle` (as raw bytes).
inline bool any_file_contains(const std::filesystem::path& dir, const std::string& needle) {
  for (auto& f : std::filesystem::recursive_directory_iterator(dir)) {
    if (!f.is_regular_file()) continue;
    std::ifstream in(f.path(), std::ios::binary);
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (content.find(needle) != std::string::npos) return true;
  }
  return false;
}

} // namespace leadbase::test
