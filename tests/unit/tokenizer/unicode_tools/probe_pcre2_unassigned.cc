// Prints, as a JSON array, every code point PCRE2 considers unassigned (\p{Cn}).
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <cstdio>

int main() {
  int error = 0;
  PCRE2_SIZE offset = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>("^\\p{Cn}$"), PCRE2_ZERO_TERMINATED,
                                   PCRE2_UTF | PCRE2_UCP, &error, &offset, nullptr);
  pcre2_match_data* match = pcre2_match_data_create(1, nullptr);
  std::printf("[");
  bool first = true;
  for (unsigned cp = 0; cp <= 0x10FFFF; ++cp) {
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;
    unsigned char s[4];
    int n;
    if (cp < 0x80) { s[0] = cp; n = 1; }
    else if (cp < 0x800) { s[0] = 0xC0 | (cp >> 6); s[1] = 0x80 | (cp & 63); n = 2; }
    else if (cp < 0x10000) { s[0] = 0xE0 | (cp >> 12); s[1] = 0x80 | ((cp >> 6) & 63); s[2] = 0x80 | (cp & 63); n = 3; }
    else { s[0] = 0xF0 | (cp >> 18); s[1] = 0x80 | ((cp >> 12) & 63); s[2] = 0x80 | ((cp >> 6) & 63); s[3] = 0x80 | (cp & 63); n = 4; }
    if (pcre2_match(code, s, n, 0, 0, match, nullptr) >= 0) {
      std::printf(first ? "%u" : ",%u", cp);
      first = false;
    }
  }
  std::printf("]\n");
}
