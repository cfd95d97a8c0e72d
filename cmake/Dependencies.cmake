# Every dependency comes from Debian's packages (scripts/setup.sh installs them).
find_package(Threads REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(CLI11 REQUIRED)
find_package(PkgConfig REQUIRED)

# PCRE2 and utf8proc are linked statically: the GPU machine has neither library installed, and a
# binary built here must run there.
find_path(PCRE2_INCLUDE_DIR pcre2.h REQUIRED)
find_library(PCRE2_STATIC_LIBRARY NAMES libpcre2-8.a REQUIRED)
add_library(turbine_pcre2 INTERFACE)
target_include_directories(turbine_pcre2 SYSTEM INTERFACE ${PCRE2_INCLUDE_DIR})
target_compile_definitions(turbine_pcre2 INTERFACE PCRE2_CODE_UNIT_WIDTH=8 PCRE2_STATIC)
target_link_libraries(turbine_pcre2 INTERFACE ${PCRE2_STATIC_LIBRARY})

find_path(UTF8PROC_INCLUDE_DIR utf8proc.h REQUIRED)
find_library(UTF8PROC_STATIC_LIBRARY NAMES libutf8proc.a REQUIRED)
add_library(turbine_utf8proc INTERFACE)
target_include_directories(turbine_utf8proc SYSTEM INTERFACE ${UTF8PROC_INCLUDE_DIR})
target_compile_definitions(turbine_utf8proc INTERFACE UTF8PROC_STATIC)
target_link_libraries(turbine_utf8proc INTERFACE ${UTF8PROC_STATIC_LIBRARY})

# xxhash is used header-only (XXH_INLINE_ALL), so nothing to link.
find_path(XXHASH_INCLUDE_DIR xxhash.h REQUIRED)
add_library(turbine_xxhash INTERFACE)
target_include_directories(turbine_xxhash SYSTEM INTERFACE ${XXHASH_INCLUDE_DIR})

if(TURBINE_TESTS)
  find_package(GTest REQUIRED)
endif()
if(TURBINE_BENCH)
  find_package(benchmark REQUIRED)
endif()
