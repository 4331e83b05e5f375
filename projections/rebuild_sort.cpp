#include "projections/rebuild_sort.hpp"

#include <cerrno>

namespace leadbase::projections::rebuild {

error io_error(const std::string& what, const std::string& path) {
  return error{errc::storage_failure, what + " " + path + ": " + std::strerror(errno)};
}

result<run_file> spill(const chunk& c, const std::string& path) {
  run_file run;
  run.path = path;
  file_ptr f(std::fopen(path.c_str(), "wb"));
  if (!f) return io_error("cannot create", path);
  std::setvbuf(f.get(), nullptr, _IOFBF, 1 << 20);
  uint64_t next_mark = 0;
  const auto& refs = c.refs();
  for (size_t i = 0; i < refs.size(); ++i) {
    // The entries are in key order, their bytes in arrival order: fetch ahead.
    if (i + 16 < refs.size()) __builtin_prefetch(refs[i + 16].key);
    const entry_ref& r = refs[i];
    if (run.bytes >= next_mark) {
      run.marks.emplace_back(std::string(r.key_view()), run.bytes);
      next_mark = run.bytes + run_file::mark_every;
    }
    const uint32_t sizes[2] = {r.key_size, r.value_size};
    if (std::fwrite(sizes, sizeof sizes, 1, f.get()) != 1 ||
        std::fwrite(r.key, 1, r.key_size + r.value_size, f.get()) != r.key_size + r.value_size)
      return io_error("cannot write", path);
    run.bytes += sizeof sizes + r.key_size + r.value_size;
    ++run.entries;
  }
  if (std::fclose(f.release()) != 0) return io_error("cannot write", path);
  return run;
}

result<bool> run_source::seek(const entry_ref& from) {
  if (!f_) {
    f_.reset(std::fopen(run_.path.c_str(), "rb"));
    if (!f_) return io_error("cannot open", run_.path);
    std::setvbuf(f_.get(), nullptr, _IOFBF, 1 << 20);
  }
  // Start at the last mark below `from`, then skip what is still below it.
  auto mark = std::lower_bound(run_.marks.begin(), run_.marks.end(), from, [](const auto& m, const entry_ref& k) {
    return ref_less(make_ref(m.first.data(), m.first.size(), 0), k);
  });
  const uint64_t offset = mark == run_.marks.begin() ? 0 : std::prev(mark)->second;
  if (std::fseek(f_.get(), static_cast<long>(offset), SEEK_SET) != 0) return io_error("cannot seek", run_.path);
  for (;;) {
    auto more = next();
    if (!more || !*more) return more;
    if (!ref_less(current_, from)) return true;
  }
}

result<bool> run_source::next() {
  uint32_t sizes[2];
  if (std::fread(sizes, sizeof sizes, 1, f_.get()) != 1) {
    if (std::ferror(f_.get())) return io_error("cannot read", run_.path);
    return false;
  }
  const size_t n = size_t{sizes[0]} + sizes[1];
  record_.resize(n);
  if (n && std::fread(record_.data(), n, 1, f_.get()) != 1)
    return error{errc::storage_failure, "truncated run file " + run_.path};
  current_ = make_ref(record_.data(), sizes[0], sizes[1]);
  return true;
}

} // namespace leadbase::projections::rebuild
