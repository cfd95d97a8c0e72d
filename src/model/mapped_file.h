// A whole file mapped read-only into memory.
//
// Contract: `MappedFile::open` maps the file with PROT_READ and MAP_PRIVATE, so the bytes are
// shared with the page cache (zero copy) and any write through a pointer into them faults
// loudly instead of silently changing the weights. The mapping lives exactly as long as the
// MappedFile (RAII, move-only); a moved-from MappedFile holds nothing. An empty file is valid
// and has an empty span (mmap cannot map zero bytes). If another process truncates the file
// while it is mapped, touching the lost pages raises SIGBUS: nothing in user space can check
// that, so callers validate sizes once, at open.
#pragma once

#include <cstddef>
#include <filesystem>
#include <span>

namespace turbine {

class MappedFile {
 public:
  // Throws turbine::Error naming the path when it cannot be opened, is not a regular file, or
  // cannot be mapped.
  static MappedFile open(const std::filesystem::path& path);

  MappedFile() = default;
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  std::span<const std::byte> bytes() const { return {data_, size_}; }
  size_t size() const { return size_; }
  const std::filesystem::path& path() const { return path_; }

  // Asks the kernel to start reading the whole file ahead (madvise MADV_WILLNEED). Only a hint:
  // failures are ignored.
  void prefetch() const;

 private:
  MappedFile(std::filesystem::path path, const std::byte* data, size_t size)
      : path_(std::move(path)), data_(data), size_(size) {}
  void unmap() noexcept;

  std::filesystem::path path_;
  const std::byte* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace turbine
