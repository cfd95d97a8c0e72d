#include "tokenizer/utf8.h"

namespace turbine::tokenizer::utf8 {
namespace {

// How many bytes of a well-formed sequence start at `pos`: a positive length for a complete
// character, or -(bytes that are a valid prefix) when the sequence is broken or cut short.
// `*truncated` tells the two failure cases apart (ran out of input vs. a bad byte).
int scan_sequence(const uint8_t* data, size_t size, size_t pos, bool* truncated) {
  *truncated = false;
  const uint8_t lead = data[pos];
  if (lead < 0x80) return 1;
  int needed;
  uint8_t lo = 0x80;
  uint8_t hi = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    needed = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    needed = 3;
    if (lead == 0xE0) lo = 0xA0;
    if (lead == 0xED) hi = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    needed = 4;
    if (lead == 0xF0) lo = 0x90;
    if (lead == 0xF4) hi = 0x8F;
  } else {
    return -1;  // a byte that never starts a character
  }
  int have = 1;
  while (have < needed) {
    if (pos + have >= size) {
      *truncated = true;
      return -have;
    }
    const uint8_t byte = data[pos + have];
    const bool ok = have == 1 ? (byte >= lo && byte <= hi) : (byte >= 0x80 && byte <= 0xBF);
    if (!ok) return -have;
    ++have;
  }
  return needed;
}

}  // namespace

void append(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

size_t valid_prefix_length(std::string_view bytes) {
  const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  const size_t size = bytes.size();
  size_t pos = 0;
  while (pos < size) {
    // ASCII fast path, 8 bytes at a time.
    while (pos + 8 <= size) {
      uint64_t word;
      __builtin_memcpy(&word, data + pos, 8);
      if (word & 0x8080808080808080ULL) break;
      pos += 8;
    }
    if (pos >= size) break;
    bool truncated;
    const int length = scan_sequence(data, size, pos, &truncated);
    if (length < 0) return pos;
    pos += length;
  }
  return size;
}

size_t append_lossy(std::string& out, std::string_view bytes, bool hold_incomplete_tail) {
  const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  const size_t size = bytes.size();
  size_t pos = 0;
  size_t run_start = 0;  // start of the valid run not yet copied
  while (pos < size) {
    bool truncated;
    const int length = scan_sequence(data, size, pos, &truncated);
    if (length > 0) {
      pos += length;
      continue;
    }
    out.append(bytes.data() + run_start, pos - run_start);
    if (truncated && hold_incomplete_tail) return size - pos;
    out.append(kReplacementChar);
    pos += -length;
    run_start = pos;
  }
  out.append(bytes.data() + run_start, pos - run_start);
  return 0;
}

std::string to_valid_utf8(std::string_view text) {
  if (valid_prefix_length(text) == text.size()) return std::string(text);
  return lossy(text);
}

size_t count_chars(std::string_view text) {
  size_t count = 0;
  for (unsigned char c : text) count += (c & 0xC0) != 0x80;
  return count;
}

}  // namespace turbine::tokenizer::utf8
