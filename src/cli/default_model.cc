#include "cli/default_model.h"

#include <filesystem>
#include <vector>

#include "common/error.h"

namespace turbine::cli {

std::string default_model_dir() {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  std::vector<fs::path> candidates = {fs::path(TURBINE_SOURCE_DIR) / "models" / kDefaultModelName};
  if (!ec) {
    candidates.push_back(exe.parent_path() / ".." / "models" / kDefaultModelName);
    candidates.push_back(exe.parent_path() / ".." / "share" / "turbine" / "models" / kDefaultModelName);
  }
  for (const fs::path& dir : candidates)
    if (fs::exists(dir / "config.json")) return fs::weakly_canonical(dir).string();
  fail("no --model given and the default model {} was not found (looked in {}); point --model at a Hugging Face "
       "model folder",
       kDefaultModelName, candidates.front().parent_path().string());
}

}  // namespace turbine::cli
