#include "server/served_model.h"

#include <algorithm>

#include "server/api_error.h"

namespace turbine::server {

void ServedModel::check_model(const std::optional<std::string>& requested) const {
  if (!requested || std::ranges::find(names, *requested) != names.end()) return;
  throw ApiError(404, fmt::format("The model `{}` does not exist (this server serves `{}`).", *requested, name()),
                 "model", "model_not_found");
}

}  // namespace turbine::server
