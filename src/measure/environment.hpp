// The environment recorded with every result: what ran, where, built how.
#pragma once

#include <nlohmann/json_fwd.hpp>

namespace hookbench {

nlohmann::json describe_environment();

}  // namespace hookbench
