// The model Turbine uses when no --model is given: the demo model that ships in the repository
// (models/turbine-demo-20m, trained by tools/train_demo_model.py), so the README works anywhere.
#pragma once

#include <string>

namespace turbine::cli {

inline constexpr const char* kDefaultModelName = "turbine-demo-20m";

// The default model's folder: next to the source tree this binary was built from, or in
// ../models or ../share/turbine/models beside the executable. Throws turbine::Error when none exists.
std::string default_model_dir();

}  // namespace turbine::cli
